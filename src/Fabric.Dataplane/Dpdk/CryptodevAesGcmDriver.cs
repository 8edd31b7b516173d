namespace Fabric.Dataplane.Dpdk;

/// <summary>AES-256-GCM on a cryptodev queue pair: <see cref="DpdkGDriver"/> for "aes-256-gcm".</summary>
public sealed class CryptodevAesGcmDriver : DpdkGDriver
{
    public CryptodevAesGcmDriver(Cryptodev device)
        : base(device, "aes-256-gcm")
    {
    }
}
