using System.IO.MemoryMappedFiles;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Fabric.Dataplane.Native;
using Microsoft.Win32.SafeHandles;

namespace Fabric.Dataplane.Channel;

/// <summary>
/// One memory-mapped channel. By default the AC creates it as a sealed memfd (<see cref="CreateSealed"/>):
/// anonymous memory that no path names and whose size nobody, the guest included, can change, so a guest
/// cannot make the AC fault by truncating it. The guest gets the descriptor over a Unix socket
/// (<see cref="Handoff.ChannelServer"/>) and maps it (<see cref="OpenDescriptor"/>). The path mode
/// (<see cref="Create"/> / <see cref="OpenExisting"/>) remains for debugging only.
/// Holds the mapping and its base pointer.
/// </summary>
public sealed unsafe class ChannelFile : IDisposable
{
    private readonly MemoryMappedFile _mapping;
    private readonly MemoryMappedViewAccessor _view;
    private readonly FileStream? _sealedStream;
    private byte* _base;
    private int _disposed;

    private ChannelFile(string path, MemoryMappedFile mapping, MemoryMappedViewAccessor view, long length, FileStream? sealedStream = null)
    {
        Path = path;
        _sealedStream = sealedStream;
        _mapping = mapping;
        _view = view;
        Length = length;
        byte* p = null;
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
        _base = p + _view.PointerOffset;
    }

    /// <summary>The file's path, or for a memfd a label ("memfd:&lt;name&gt;", or the socket it came from).</summary>
    public string Path { get; }

    /// <summary>True for a sealed memfd: it has no path to delete and its size cannot change.</summary>
    public bool IsSealed => _sealedStream is not null;

    /// <summary>The memfd behind a sealed channel (what the node hands to the guest); null in path mode.</summary>
    internal SafeFileHandle? Descriptor => _sealedStream?.SafeFileHandle;

    /// <summary>The sizes this process created the file with; null for a file opened by a guest.
    /// The AC trusts only these, never the header (which the guest can overwrite).</summary>
    public ChannelGeometry? Geometry { get; private set; }

    public long Length { get; }

    internal byte* Base => _base;

    /// <summary>
    /// The mapping and its buffer arena (<see cref="ChannelArena"/>), for drivers that give guest buffers to a device
    /// (zero copy); null for a channel this process did not create (its geometry is not trusted) or once disposed.
    /// </summary>
    public ChannelArena? Arena
    {
        get
        {
            if (Geometry is not { } g || _base == null)
            {
                return null;
            }
            var page = Environment.SystemPageSize;
            var mapped = (Length + page - 1) / page * page;
            return new ChannelArena((nint)_base, mapped, (nint)(_base + g.ArenaOffset), (long)g.SlotCount * g.SlotSize, page);
        }
    }

    /// <summary>
    /// <see cref="Arena"/> with the mapping kept alive until the lease is disposed (<see cref="ChannelArenaLease"/>);
    /// null when there is no arena to lend. The caller owns the lease.
    /// </summary>
    public ChannelArenaLease? LeaseArena()
    {
        if (Arena is not { } arena)
        {
            return null;
        }
        try
        {
            return new ChannelArenaLease(arena, _view.SafeMemoryMappedViewHandle);
        }
        catch (ObjectDisposedException)
        {
            return null; // disposed meanwhile
        }
    }

    /// <summary>The per-user channel folder of processes that are not a node (tools, tests): <see cref="Handoff.ChannelDirectory.DefaultRoot"/>.</summary>
    public static string DefaultDirectory => Handoff.ChannelDirectory.DefaultRoot;

    /// <summary>The file path for an attachment id in <see cref="DefaultDirectory"/> (path mode).</summary>
    public static string PathFor(string attachmentId) => Handoff.ChannelDirectory.FilePath(DefaultDirectory, attachmentId);

    /// <summary>
    /// Creates a channel file at <paramref name="path"/> and writes its header (path mode, for debugging).
    /// The file is new (O_CREAT|O_EXCL: an existing file or a planted symlink is refused, never replaced),
    /// mode 0600, in a folder checked to be this user's own (<see cref="Handoff.ChannelDirectory.Ensure"/>).
    /// AC side.
    /// </summary>
    public static ChannelFile Create(string path, ChannelGeometry geometry, ulong epoch = 0)
    {
        var problem = geometry.Validate();
        if (problem is not null)
        {
            throw new ArgumentException("channel geometry: " + problem, nameof(geometry));
        }
        var dir = System.IO.Path.GetDirectoryName(path);
        if (!string.IsNullOrEmpty(dir))
        {
            Handoff.ChannelDirectory.Ensure(dir);
        }
        var size = geometry.FileSize;
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.ReadWrite,
            Share = FileShare.ReadWrite | FileShare.Delete,
            BufferSize = 0,
        };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        FileStream stream;
        try
        {
            stream = new FileStream(path, options);
        }
        catch (IOException e) when (File.Exists(path) || Directory.Exists(path) || new FileInfo(path).LinkTarget is not null)
        {
            throw new IOException($"channel file {path} already exists: a live channel is never replaced; remove the queue that owns it (or, if no node serves it, delete the file)", e);
        }
        stream.SetLength(size);
        var mapping = MemoryMappedFile.CreateFromFile(stream, null, size, MemoryMappedFileAccess.ReadWrite, HandleInheritability.None, leaveOpen: false);
        var view = mapping.CreateViewAccessor(0, size, MemoryMappedFileAccess.ReadWrite);
        var file = new ChannelFile(path, mapping, view, size) { Geometry = geometry };
        file.WriteHeader(geometry, epoch == 0 ? (ulong)DateTime.UtcNow.Ticks : epoch);
        return file;
    }

    /// <summary>
    /// Creates a channel in a sealed memfd and writes its header. AC side. Seals: F_SEAL_SHRINK and
    /// F_SEAL_GROW (ftruncate fails with EPERM for everyone, so no access of the AC can ever fall outside
    /// the memory) and F_SEAL_SEAL (nobody can add a seal, e.g. F_SEAL_WRITE, later). Linux only.
    /// </summary>
    public static ChannelFile CreateSealed(string name, ChannelGeometry geometry, ulong epoch = 0)
    {
        var problem = geometry.Validate();
        if (problem is not null)
        {
            throw new ArgumentException("channel geometry: " + problem, nameof(geometry));
        }
        if (!Libc.Supported)
        {
            throw new PlatformNotSupportedException("sealed channels need memfd_create (64-bit Linux); use the path mode (fabric.node.channels.mode = path) for debugging elsewhere");
        }
        var size = geometry.FileSize;
        var label = "fabric:" + name;
        int fd;
        fixed (byte* n = Libc.NulTerminated(label.Length > 240 ? label[..240] : label))
        {
            fd = Libc.MemfdCreate(n, Libc.MFD_CLOEXEC | Libc.MFD_ALLOW_SEALING);
        }
        if (fd < 0)
        {
            throw new IOException($"memfd_create for channel {name} failed: {Libc.Describe(Marshal.GetLastPInvokeError())}");
        }
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        FileStream? stream = null;
        try
        {
            if (Libc.Ftruncate(fd, size) != 0)
            {
                throw new IOException($"sizing the memfd of channel {name} to {size} bytes failed: {Libc.Describe(Marshal.GetLastPInvokeError())}");
            }
            if (Libc.Fcntl(fd, Libc.F_ADD_SEALS, Libc.F_SEAL_SHRINK | Libc.F_SEAL_GROW | Libc.F_SEAL_SEAL) != 0)
            {
                throw new IOException($"sealing the memfd of channel {name} failed: {Libc.Describe(Marshal.GetLastPInvokeError())}");
            }
            stream = new FileStream(handle, FileAccess.ReadWrite, 0);
            var mapping = MemoryMappedFile.CreateFromFile(stream, null, size, MemoryMappedFileAccess.ReadWrite, HandleInheritability.None, leaveOpen: true);
            var view = mapping.CreateViewAccessor(0, size, MemoryMappedFileAccess.ReadWrite);
            var file = new ChannelFile("memfd:" + name, mapping, view, size, stream) { Geometry = geometry };
            file.WriteHeader(geometry, epoch == 0 ? (ulong)DateTime.UtcNow.Ticks : epoch);
            return file;
        }
        catch
        {
            if (stream is not null)
            {
                stream.Dispose();
            }
            else
            {
                handle.Dispose();
            }
            throw;
        }
    }

    /// <summary>
    /// Maps a channel from a descriptor the node passed (guest side), without checking it (callers validate
    /// the header). Takes ownership of <paramref name="descriptor"/>; <paramref name="label"/> names it in messages.
    /// </summary>
    public static ChannelFile OpenDescriptor(SafeFileHandle descriptor, string label)
    {
        FileStream stream;
        try
        {
            stream = new FileStream(descriptor, FileAccess.ReadWrite, 0);
        }
        catch
        {
            descriptor.Dispose();
            throw;
        }
        try
        {
            var size = stream.Length;
            if (size < ChannelLayout.HeaderSize)
            {
                throw new InvalidDataException($"channel {label} is {size} bytes, shorter than its {ChannelLayout.HeaderSize}-byte header: not a channel");
            }
            var mapping = MemoryMappedFile.CreateFromFile(stream, null, size, MemoryMappedFileAccess.ReadWrite, HandleInheritability.None, leaveOpen: true);
            var view = mapping.CreateViewAccessor(0, size, MemoryMappedFileAccess.ReadWrite);
            return new ChannelFile(label, mapping, view, size, stream);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Maps an existing channel file without checking it (callers validate the header).</summary>
    public static ChannelFile OpenExisting(string path)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        var size = stream.Length;
        if (size < ChannelLayout.HeaderSize)
        {
            stream.Dispose();
            throw new InvalidDataException($"channel file {path} is {size} bytes, shorter than its {ChannelLayout.HeaderSize}-byte header: not a channel, or truncated");
        }
        var mapping = MemoryMappedFile.CreateFromFile(stream, null, size, MemoryMappedFileAccess.ReadWrite, HandleInheritability.None, leaveOpen: false);
        var view = mapping.CreateViewAccessor(0, size, MemoryMappedFileAccess.ReadWrite);
        return new ChannelFile(path, mapping, view, size);
    }

    private void WriteHeader(ChannelGeometry g, ulong epoch)
    {
        new Span<byte>(_base, ChannelLayout.HeaderSize).Clear();
        WriteU32(ChannelLayout.AbiVersionOffset, ChannelLayout.AbiVersion);
        WriteU32(ChannelLayout.HeaderSizeOffset, ChannelLayout.HeaderSize);
        WriteU32(ChannelLayout.SqEntriesOffset, (uint)g.SqEntries);
        WriteU32(ChannelLayout.CqEntriesOffset, (uint)g.CqEntries);
        WriteU32(ChannelLayout.SqEntrySizeOffset, ChannelLayout.SubmissionEntrySize);
        WriteU32(ChannelLayout.CqEntrySizeOffset, ChannelLayout.CompletionEntrySize);
        WriteU32(ChannelLayout.SlotCountOffset, (uint)g.SlotCount);
        WriteU32(ChannelLayout.SlotSizeOffset, (uint)g.SlotSize);
        WriteU64(ChannelLayout.SqOffsetOffset, (ulong)g.SqOffset);
        WriteU64(ChannelLayout.CqOffsetOffset, (ulong)g.CqOffset);
        WriteU64(ChannelLayout.ArenaOffsetOffset, (ulong)g.ArenaOffset);
        WriteU64(ChannelLayout.FileSizeOffset, (ulong)g.FileSize);
        WriteU64(ChannelLayout.EpochOffset, epoch);
        WriteU32(ChannelLayout.MaxSessionsOffset, (uint)g.MaxSessions);
        WriteU32(ChannelLayout.StateOffset, (uint)ChannelState.Created);
        // Magic last: a guest that sees it also sees a complete header.
        Volatile.Write(ref *(ulong*)(_base + ChannelLayout.MagicOffset), ChannelLayout.Magic);
    }

    // The ABI is little-endian; every target this runs on (x64, arm64) is too, so plain loads suffice.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal uint ReadU32(int offset) => Volatile.Read(ref *(uint*)(_base + offset));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal ulong ReadU64(int offset) => Volatile.Read(ref *(ulong*)(_base + offset));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void WriteU32(int offset, uint value) => Volatile.Write(ref *(uint*)(_base + offset), value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void WriteU64(int offset, ulong value) => Volatile.Write(ref *(ulong*)(_base + offset), value);

    public ChannelState State => (ChannelState)ReadU32(ChannelLayout.StateOffset);

    /// <summary>
    /// Writes what serves the channel (ABI v2): the function name and the queue's op deadline. The AC calls it when it
    /// realizes the queue, before it makes the channel Active (the state store publishes these fields).
    /// </summary>
    internal void WriteService(string function, TimeSpan deadline)
    {
        if (function.Length is 0 or > ChannelLayout.MaxFunctionBytes || !System.Text.Ascii.IsValid(function))
        {
            throw new ArgumentException($"function name '{function}' must be 1..{ChannelLayout.MaxFunctionBytes} ASCII characters to fit the channel header", nameof(function));
        }
        var field = new Span<byte>(_base + ChannelLayout.FunctionOffset, ChannelLayout.MaxFunctionBytes);
        field.Clear();
        System.Text.Encoding.ASCII.GetBytes(function, field);
        WriteU64(ChannelLayout.DeadlineNanosOffset, (ulong)Math.Max(1, deadline.Ticks) * 100);
        WriteU32(ChannelLayout.FunctionLengthOffset, (uint)function.Length);
    }

    internal void SetState(ChannelState state) => WriteU32(ChannelLayout.StateOffset, (uint)state);

    /// <summary>Raw view of the whole file (tests use it to corrupt a channel on purpose).</summary>
    internal Span<byte> AsSpan() => new(_base, checked((int)Length));

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        _base = null;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _mapping.Dispose();
        _sealedStream?.Dispose();
    }

    /// <summary>Disposes the mapping and deletes the file (the AC's side, after the queue is removed).</summary>
    public void DisposeAndDelete()
    {
        Dispose();
        if (IsSealed)
        {
            // A memfd has no name to delete: its memory goes with the last mapping or descriptor.
            return;
        }
        try
        {
            File.Delete(Path);
        }
        catch (IOException)
        {
            // Already gone, or still open somewhere: tmpfs frees it when the last mapping closes.
        }
    }
}
