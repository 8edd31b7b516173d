using System.Runtime.InteropServices;

namespace Fabric.Dataplane.Native;

/// <summary>
/// The zlib(-ng) that ships with the .NET runtime (libSystem.IO.Compression.Native), called directly:
/// DeflateStream allocates per stream, while these calls on caller-owned buffers allocate nothing managed.
/// </summary>
internal static unsafe partial class ZlibNative
{
    private const string Library = "libSystem.IO.Compression.Native";

    public const int Ok = 0;
    public const int StreamEnd = 1;
    public const int DataError = -3;
    public const int BufError = -5;
    public const int Finish = 4;
    public const int Deflated = 8;
    /// <summary>Negative window bits: raw deflate (RFC 1951), no zlib header.</summary>
    public const int RawWindowBits = -15;
    public const int DefaultMemLevel = 8;
    public const int DefaultStrategy = 0;

    /// <summary>PAL_ZStream of System.IO.Compression.Native.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct ZStream
    {
        public byte* NextIn;
        public byte* NextOut;
        public byte* Msg;
        public nint InternalState;
        public uint AvailIn;
        public uint AvailOut;
    }

    [LibraryImport(Library, EntryPoint = "CompressionNative_DeflateInit2_")]
    public static partial int DeflateInit2(ZStream* stream, int level, int method, int windowBits, int memLevel, int strategy);

    [LibraryImport(Library, EntryPoint = "CompressionNative_Deflate")]
    public static partial int Deflate(ZStream* stream, int flush);

    [LibraryImport(Library, EntryPoint = "CompressionNative_DeflateEnd")]
    public static partial int DeflateEnd(ZStream* stream);

    [LibraryImport(Library, EntryPoint = "CompressionNative_InflateInit2_")]
    public static partial int InflateInit2(ZStream* stream, int windowBits);

    [LibraryImport(Library, EntryPoint = "CompressionNative_InflateReset2_")]
    public static partial int InflateReset2(ZStream* stream, int windowBits);

    [LibraryImport(Library, EntryPoint = "CompressionNative_Inflate")]
    public static partial int Inflate(ZStream* stream, int flush);

    [LibraryImport(Library, EntryPoint = "CompressionNative_InflateEnd")]
    public static partial int InflateEnd(ZStream* stream);
}
