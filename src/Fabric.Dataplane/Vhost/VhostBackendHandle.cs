using System.Runtime.InteropServices;

namespace Fabric.Dataplane.Vhost;

/// <summary>A started vhost-crypto backend (fv_backend); releasing it unregisters the socket and wipes the session keys.</summary>
internal sealed class VhostBackendHandle : SafeHandle
{
    public VhostBackendHandle()
        : base(0, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle == 0;

    /// <summary>Wraps what the shim returned; the handle is created first so nothing can fail in between.</summary>
    internal void Adopt(nint value) => SetHandle(value);

    /// <summary>The backend's counters, read while the handle is kept alive.</summary>
    internal unsafe VhostCryptoStats Stats()
    {
        var added = false;
        DangerousAddRef(ref added);
        try
        {
            VhostNative.Stats s;
            VhostNative.BackendStats(handle, &s);
            return new VhostCryptoStats(s.Fetched, s.Completed, s.Failed, s.Sessions, s.SessionsRefused, s.GuestsReady != 0, s.GuestsSeen);
        }
        finally
        {
            if (added)
            {
                DangerousRelease();
            }
        }
    }

    protected override bool ReleaseHandle()
    {
        VhostNative.BackendDestroy(handle);
        return true;
    }
}
