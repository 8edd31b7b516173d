using System.Text;
using Fabric.Dataplane.Dpdk;

namespace Fabric.Dataplane.Vhost;

/// <summary>
/// A virtio-crypto device for one QEMU guest, served over a vhost-user socket (DPDK's vhost library) by Fabric's
/// own virtio-crypto request handling on a cryptodev (docs/vhost.md). The backend listens on <see cref="SocketPath"/>; QEMU's cryptodev-vhost-user connects to it.
/// <see cref="Poll"/> must be called from one thread at a time (the AC worker that owns it); it does not allocate.
/// </summary>
public sealed class VhostCryptoBackend : IDisposable
{
    /// <summary>A vdev name prefix for the usual software PMD: ipsec-mb's multi-buffer device does AES-CBC (and HMAC-SHA1).</summary>
    public const string DefaultCryptodev = "crypto_aesni_mb_vhost";

    private readonly VhostBackendHandle _handle;
    private readonly nint _backend;

    private VhostCryptoBackend(VhostBackendHandle handle, nint backend, string socketPath, string cryptodev)
    {
        _handle = handle;
        _backend = backend;
        SocketPath = socketPath;
        Cryptodev = cryptodev;
    }

    public string SocketPath { get; }

    /// <summary>The cryptodev (vdev) name the guest's sessions live on.</summary>
    public string Cryptodev { get; }

    /// <summary>
    /// Creates the cryptodev <paramref name="cryptodev"/> (a vdev name starting with a PMD's name) unless it exists,
    /// and listens on <paramref name="socketPath"/>, which must not exist. EAL must be running (<see cref="DpdkEal"/>).
    /// </summary>
    public static unsafe VhostCryptoBackend Start(string socketPath, string cryptodev)
    {
        ArgumentException.ThrowIfNullOrEmpty(socketPath);
        ArgumentException.ThrowIfNullOrEmpty(cryptodev);
        if (!DpdkEal.IsRunning)
        {
            throw new DpdkException($"cannot serve vhost-user crypto on {socketPath}: EAL is not running ({DpdkEal.Failure ?? "DpdkEal.TryStart was not called"})");
        }
        var path = Encoding.UTF8.GetBytes(socketPath + "\0");
        var name = Encoding.UTF8.GetBytes(cryptodev + "\0");
        var err = stackalloc byte[VhostNative.ErrorLength];
        err[0] = 0;
        var handle = new VhostBackendHandle();
        int rc;
        nint backend;
        fixed (byte* p = path)
        fixed (byte* n = name)
        {
            rc = VhostNative.BackendCreate(p, n, out backend, err, VhostNative.ErrorLength);
        }
        if (rc != VhostNative.Ok)
        {
            throw new DpdkException(VhostNative.Text(err));
        }
        handle.Adopt(backend);
        return new VhostCryptoBackend(handle, backend, socketPath, cryptodev);
    }

    /// <summary>One pass over the guest's data queue and the cryptodev; returns the requests moved (0: idle).</summary>
    public int Poll()
    {
        var added = false;
        _handle.DangerousAddRef(ref added);
        try
        {
            return VhostNative.BackendPoll(_backend);
        }
        finally
        {
            if (added)
            {
                _handle.DangerousRelease();
            }
        }
    }

    public VhostCryptoStats Stats() => _handle.Stats();

    /// <summary>Stops serving: a connected guest's device is torn down (its in-flight requests answered first).</summary>
    public void Dispose() => _handle.Dispose();
}
