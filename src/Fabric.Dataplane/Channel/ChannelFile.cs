using System.IO.MemoryMappedFiles;
using System.Runtime.CompilerServices;

namespace Fabric.Dataplane.Channel;

/// <summary>
/// One memory-mapped channel file. The AC creates it (<see cref="Create"/>); the guest maps the same file
/// (<see cref="GuestChannel"/> uses <see cref="OpenExisting"/>). Holds the mapping and its base pointer.
/// </summary>
public sealed unsafe class ChannelFile : IDisposable
{
    private readonly MemoryMappedFile _mapping;
    private readonly MemoryMappedViewAccessor _view;
    private byte* _base;
    private int _disposed;

    private ChannelFile(string path, MemoryMappedFile mapping, MemoryMappedViewAccessor view, long length)
    {
        Path = path;
        _mapping = mapping;
        _view = view;
        Length = length;
        byte* p = null;
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
        _base = p + _view.PointerOffset;
    }

    public string Path { get; }

    /// <summary>The sizes this process created the file with; null for a file opened by a guest.
    /// The AC trusts only these, never the header (which the guest can overwrite).</summary>
    public ChannelGeometry? Geometry { get; private set; }

    public long Length { get; }

    internal byte* Base => _base;

    /// <summary>/dev/shm/fabric where /dev/shm exists (memory-backed), else a fabric folder in the temp folder.</summary>
    public static string DefaultDirectory =>
        Directory.Exists("/dev/shm") ? "/dev/shm/fabric" : System.IO.Path.Combine(System.IO.Path.GetTempPath(), "fabric");

    /// <summary>The file path for an attachment id in <see cref="DefaultDirectory"/>.</summary>
    public static string PathFor(string attachmentId)
    {
        foreach (var c in attachmentId)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c == '-' || c == '_' || c == '.'))
            {
                throw new ArgumentException($"attachment id '{attachmentId}' may only hold ASCII letters, digits, '-', '_' and '.'", nameof(attachmentId));
            }
        }
        return System.IO.Path.Combine(DefaultDirectory, attachmentId + ".chan");
    }

    /// <summary>Creates (or replaces) a channel file and writes its header. AC side.</summary>
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
            Directory.CreateDirectory(dir);
        }
        var size = geometry.FileSize;
        var stream = new FileStream(path, FileMode.Create, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        stream.SetLength(size);
        var mapping = MemoryMappedFile.CreateFromFile(stream, null, size, MemoryMappedFileAccess.ReadWrite, HandleInheritability.None, leaveOpen: false);
        var view = mapping.CreateViewAccessor(0, size, MemoryMappedFileAccess.ReadWrite);
        var file = new ChannelFile(path, mapping, view, size) { Geometry = geometry };
        file.WriteHeader(geometry, epoch == 0 ? (ulong)DateTime.UtcNow.Ticks : epoch);
        return file;
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
    }

    /// <summary>Disposes the mapping and deletes the file (the AC's side, after the queue is removed).</summary>
    public void DisposeAndDelete()
    {
        Dispose();
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
