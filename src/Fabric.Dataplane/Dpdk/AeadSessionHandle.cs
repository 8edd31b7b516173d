using System.Runtime.InteropServices;

namespace Fabric.Dataplane.Dpdk;

/// <summary>
/// An AES-256-GCM key on one cryptodev (fd_aead_session, with the DPDK sessions made from it). It keeps its device
/// alive: the device's session pool must outlive every session taken from it.
/// </summary>
internal sealed class AeadSessionHandle : SafeHandle
{
    private CryptodevHandle? _device;

    public AeadSessionHandle()
        : base(0, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle == 0;

    /// <summary>Wraps what the shim returned; the handle is created first so nothing can fail in between.</summary>
    internal void Adopt(nint value) => SetHandle(value);

    /// <summary>Called once, right after the shim filled the handle: holds a reference on the device.</summary>
    internal void Bind(CryptodevHandle device)
    {
        var added = false;
        device.DangerousAddRef(ref added);
        _device = device;
    }

    protected override bool ReleaseHandle()
    {
        DpdkNative.AeadSessionFree(handle);
        _device?.DangerousRelease();
        return true;
    }
}
