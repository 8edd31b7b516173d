using System.Runtime.InteropServices;

namespace Fabric.Dataplane.Vhost;

/// <summary>
/// Bindings of the vhost-user virtio-crypto half of libfabric_dpdk.so (Dpdk/native/fabric_vhost.h). Every call returns a status;
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
        public ulong Sessions;
        public ulong SessionsRefused;
        public uint GuestsReady;
        public uint GuestsSeen;
    }

    [LibraryImport(Library, EntryPoint = "fv_backend_stats")]
    [SuppressGCTransition]
    public static partial void BackendStats(nint backend, Stats* stats);

    [LibraryImport(Library, EntryPoint = "fv_backend_destroy")]
    public static partial void BackendDestroy(nint backend);

    /// <summary>fv_op: one request fetched for the AC.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Op
    {
        public uint Token;
        public uint Session;
        public uint Generation;
        public byte Encrypt;
        public byte Chain;
        public ushort Reserved;
        public uint Aad;
        public uint InLength;
        public uint OutOffset;
        public uint OutCapacity;
        public Fabric.Dataplane.Channel.Param16 Iv;
    }

    /// <summary>fv_done: the AC's answer to one request.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Done
    {
        public uint Token;
        public uint Status;
        public uint Written;
        public uint Reserved;
    }

    [LibraryImport(Library, EntryPoint = "fv_backend_create_fabric")]
    public static partial int BackendCreateFabric(byte* socketPath, uint keyLength, uint mac, byte* arena, uint slotSize, uint depth, out nint backend, byte* err, nuint errLength);

    // Fetch and complete copy up to 32 KiB per request: microseconds, so they keep the GC transition.
    [LibraryImport(Library, EntryPoint = "fv_backend_fetch")]
    public static partial int BackendFetch(nint backend, Op* ops, int max);

    [LibraryImport(Library, EntryPoint = "fv_backend_complete")]
    public static partial int BackendComplete(nint backend, Done* done, int n);

    [LibraryImport(Library, EntryPoint = "fv_backend_session_key")]
    [SuppressGCTransition]
    public static partial int BackendSessionKey(nint backend, uint id, uint generation, byte* key, int capacity);

    [LibraryImport(Library, EntryPoint = "fv_backend_reaped")]
    [SuppressGCTransition]
    public static partial int BackendReaped(nint backend, ulong* ids, int max);

    public static string Text(byte* buffer) => Marshal.PtrToStringUTF8((nint)buffer) ?? "";
}
