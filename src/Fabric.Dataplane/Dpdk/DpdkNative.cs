using System.Runtime.InteropServices;

namespace Fabric.Dataplane.Dpdk;

/// <summary>
/// Bindings of libfabric_dpdk.so (Dpdk/native/fabric_dpdk.h), the C shim over EAL and cryptodev. Every call returns
/// a status; none throws or aborts. The library sits beside the program only where DPDK was found at build time.
/// </summary>
internal static unsafe partial class DpdkNative
{
    public const string Library = "libfabric_dpdk";
    public const int ErrorLength = 512;

    public const int Ok = 0;
    public const int ErrArgs = -1;
    public const int ErrEal = -2;
    public const int ErrEalOnce = -3;
    public const int ErrNoDevice = -4;
    public const int ErrDevice = -5;
    public const int ErrNoMemory = -6;
    public const int ErrUnsupported = -7;
    public const int ErrSession = -8;
    public const int ErrTooLarge = -9;
    public const int ErrBusy = -10;

    public const int OpOk = 0;
    public const int OpAuthFailed = 1;
    public const int OpError = 2;
    public const int OpOutOfSpace = 3;

    public const uint AlgoAesGcm = 0;
    public const uint AlgoChaCha20Poly1305 = 1;
    public const uint AlgoSha256 = 2;
    public const uint AlgoHmacSha256 = 3;
    public const uint AlgoDeflate = 4;

    public const uint CapAes128Gcm = 0x1;
    public const uint CapAes256Gcm = 0x2;
    public const uint CapChaCha20Poly1305 = 0x4;
    public const uint CapSha256 = 0x8;
    public const uint CapHmacSha256 = 0x10;
    public const uint CapDeflate = 0x20;

    /// <summary>fd_device_desc.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct DeviceDescription
    {
        public fixed byte Name[64];
        public fixed byte Driver[64];
        public int SocketId;
        public uint MaxQueuePairs;
        public uint Capabilities;
        public uint Kind;
    }

    /// <summary>fd_aead_req.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct AeadRequest
    {
        public nint Session;
        public byte* Iv;
        public byte* Input;
        public uint InputLength;
        public uint AadLength;
        public uint Encrypt;
        public uint Reserved;
        public ulong UserTag;
        /// <summary>Zero copy: the output slot the device writes.</summary>
        public byte* Output;
        public uint OutputCapacity;
        /// <summary>fd_region_add's id (0: copy).</summary>
        public uint Region;
        /// <summary><see cref="RequestZeroCopyOutput"/>.</summary>
        public uint Flags;
        public uint Pad;
    }

    /// <summary>FD_REQ_ZERO_COPY_OUTPUT: the device writes the guest's output slot itself.</summary>
    public const uint RequestZeroCopyOutput = 1;

    /// <summary>fd_aead_done.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct AeadDone
    {
        public ulong UserTag;
        public nint Op;
        public int Status;
        public uint OutputLength;
        /// <summary>1: the device read and wrote the guest's slots.</summary>
        public uint ZeroCopy;
        public uint Reserved;
    }

    public const uint ZeroCopyNone = 0;
    public const uint ZeroCopyOutOfPlace = 1;
    public const uint ZeroCopyInPlaceOut = 2;
    public const uint ZeroCopyAadCopy = 4;

    [LibraryImport(Library, EntryPoint = "fd_region_add")]
    public static partial int RegionAdd(nint map, nuint mapLength, nuint pageSize, nint arena, nuint arenaLength, out uint id, byte* err, nuint errLength);

    [LibraryImport(Library, EntryPoint = "fd_region_release")]
    public static partial void RegionRelease(uint id);

    [LibraryImport(Library, EntryPoint = "fd_region_use")]
    public static partial int RegionUse(nint device, uint id, byte* err, nuint errLength);

    [LibraryImport(Library, EntryPoint = "fd_region_unuse")]
    public static partial void RegionUnuse(nint device, uint id);

    [LibraryImport(Library, EntryPoint = "fd_zero_copy_mode")]
    public static partial uint ZeroCopyMode(nint device, byte* why, nuint whyLength);

    [LibraryImport(Library, EntryPoint = "fd_eal_init")]
    public static partial int EalInit(int argc, byte** argv, byte* err, nuint errLength);

    [LibraryImport(Library, EntryPoint = "fd_cryptodev_open")]
    public static partial int CryptodevOpen(byte* name, ushort queuePairs, uint depth, uint maxOpBytes, out nint device, byte* err, nuint errLength);

    [LibraryImport(Library, EntryPoint = "fd_cryptodev_close")]
    public static partial void CryptodevClose(nint device);

    [LibraryImport(Library, EntryPoint = "fd_queue_pair_reset")]
    public static partial int QueuePairReset(nint device, ushort queuePair, byte* err, nuint errLength);

    [LibraryImport(Library, EntryPoint = "fd_cryptodev_info")]
    public static partial int CryptodevInfo(nint device, byte* driverName, nuint nameLength, out int socketId, out uint maxOpBytes);

    [LibraryImport(Library, EntryPoint = "fd_device_list")]
    public static partial int DeviceList(DeviceDescription* output, uint capacity);

    [LibraryImport(Library, EntryPoint = "fd_compressdev_open")]
    public static partial int CompressdevOpen(byte* name, ushort queuePairs, uint depth, uint maxOpBytes, out nint device, byte* err, nuint errLength);

    [LibraryImport(Library, EntryPoint = "fd_session_create")]
    public static partial int SessionCreate(nint device, uint algo, byte* key, uint keyLength, out nint session, byte* err, nuint errLength);

    [LibraryImport(Library, EntryPoint = "fd_comp_enqueue")]
    public static partial int CompEnqueue(nint device, ushort queuePair, AeadRequest* requests, ushort count);

    [LibraryImport(Library, EntryPoint = "fd_comp_dequeue")]
    public static partial int CompDequeue(nint device, ushort queuePair, AeadDone* done, ushort count);

    [LibraryImport(Library, EntryPoint = "fd_comp_take")]
    public static partial int CompTake(nint op, byte* output, uint capacity);

    [LibraryImport(Library, EntryPoint = "fd_comp_op_free")]
    [SuppressGCTransition]
    public static partial void CompOpFree(nint op);

    [LibraryImport(Library, EntryPoint = "fd_aead_session_create")]
    public static partial int AeadSessionCreate(nint device, byte* key, uint keyLength, out nint session, byte* err, nuint errLength);

    [LibraryImport(Library, EntryPoint = "fd_aead_session_free")]
    public static partial void AeadSessionFree(nint session);

    // Only fd_op_free skips the GC transition: software PMDs do their crypto inside enqueue (openssl) or dequeue
    // (ipsec-mb), microseconds at 16 KiB, longer than a GC suspension should wait for a thread.
    [LibraryImport(Library, EntryPoint = "fd_aead_enqueue")]
    public static partial int AeadEnqueue(nint device, ushort queuePair, AeadRequest* requests, ushort count);

    [LibraryImport(Library, EntryPoint = "fd_aead_dequeue")]
    public static partial int AeadDequeue(nint device, ushort queuePair, AeadDone* done, ushort count);

    /// <summary>fd_take: one done op for <see cref="AeadTakeBurst"/>.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Take
    {
        public nint Op;
        public byte* Output;
        public uint Capacity;
        /// <summary><see cref="TakeFreeOnly"/>.</summary>
        public uint Flags;
        /// <summary>Ok, or the error of this op's copy (<see cref="ErrTooLarge"/>: the output did not fit).</summary>
        public int Result;
        public uint Pad;
    }

    /// <summary>FD_TAKE_FREE_ONLY: free the op without touching its output (an op given up on, or failed).</summary>
    public const uint TakeFreeOnly = 1;

    /// <summary>Takes a burst dequeued from one queue pair, by its thread: one call, outputs copied, the ops freed through the queue pair's caches.</summary>
    [LibraryImport(Library, EntryPoint = "fd_aead_take_burst")]
    public static partial int AeadTakeBurst(nint device, ushort queuePair, Take* items, ushort count);

    /// <summary>An op given up on: if the device would write the guest's output slot, it writes a scratch buffer instead (software PMDs); 1 when redirected, <see cref="Ok"/> when nothing was to do.</summary>
    [LibraryImport(Library, EntryPoint = "fd_aead_forget")]
    [SuppressGCTransition]
    public static partial int AeadForget(nint device, ushort queuePair, ulong userTag);

    [LibraryImport(Library, EntryPoint = "fd_op_free")]
    [SuppressGCTransition]
    public static partial void OpFree(nint op);

    /// <summary>The shim's NUL-terminated error text.</summary>
    public static string Text(byte* buffer) => Marshal.PtrToStringUTF8((nint)buffer) ?? "";
}
