using System.Runtime.InteropServices;

namespace Fabric.Dataplane.Vhost;

/// <summary>
/// Bindings of the vhost-crypto half of libfabric_dpdk.so (Dpdk/native/fabric_vhost.h). Every call returns a status;
/// none throws or aborts.
/// </summary>
internal static unsafe partial class VhostNative
{
    public const string Library = "libfabric_dpdk";
    public const int ErrorLength = 512;
    public const int Ok = 0;

    /// <summary>fv_stats.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Stats
    {
        public ulong Fetched;
        public ulong Completed;
        public ulong Failed;
        public ulong EnqueueStalls;
        public ulong Sessions;
        public ulong SessionsRefused;
        public uint GuestsReady;
        public uint GuestsSeen;
    }

    [LibraryImport(Library, EntryPoint = "fv_backend_create")]
    public static partial int BackendCreate(byte* socketPath, byte* cryptodev, out nint backend, byte* err, nuint errLength);

    // The poll runs the PMD's crypto (ipsec-mb works in dequeue): microseconds, so it keeps the GC transition.
    [LibraryImport(Library, EntryPoint = "fv_backend_poll")]
    public static partial int BackendPoll(nint backend);

    [LibraryImport(Library, EntryPoint = "fv_backend_stats")]
    [SuppressGCTransition]
    public static partial void BackendStats(nint backend, Stats* stats);

    [LibraryImport(Library, EntryPoint = "fv_backend_destroy")]
    public static partial void BackendDestroy(nint backend);

    public static string Text(byte* buffer) => Marshal.PtrToStringUTF8((nint)buffer) ?? "";
}
