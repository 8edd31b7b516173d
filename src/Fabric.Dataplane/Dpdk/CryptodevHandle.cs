using System.Runtime.InteropServices;

namespace Fabric.Dataplane.Dpdk;

/// <summary>An open, started cryptodev or compressdev with its mempools (fd_cryptodev); closing stops the device.</summary>
internal sealed class CryptodevHandle : SafeHandle
{
    public CryptodevHandle()
        : base(0, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle == 0;

    /// <summary>Wraps what the shim returned; the handle is created first so nothing can fail in between.</summary>
    internal void Adopt(nint value) => SetHandle(value);

    protected override bool ReleaseHandle()
    {
        DpdkNative.CryptodevClose(handle);
        return true;
    }
}
