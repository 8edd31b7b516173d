using System.Runtime.InteropServices;
using Fabric.Dataplane.Channel;
using Fabric.Dataplane.Native;

namespace Fabric.Dataplane.Drivers;

/// <summary>
/// Raw deflate (RFC 1951) g-driver. Forward compresses, Inverse decompresses. The inflate stream is
/// allocated once and reset per op; zlib keeps a pointer back to its stream, so it lives in native memory.
/// </summary>
public sealed unsafe class DeflateDriver : KeylessDriver
{
    private readonly int _level;
    private ZlibNative.ZStream* _inflate;

    /// <param name="level">zlib level 1 (fastest) to 9 (smallest); 6 is zlib's default.</param>
    public DeflateDriver(int level = 6)
    {
        if (level < 0 || level > 9)
        {
            throw new ArgumentOutOfRangeException(nameof(level), level, "deflate level must be in [0, 9]");
        }
        _level = level;
        _inflate = (ZlibNative.ZStream*)NativeMemory.AllocZeroed((nuint)sizeof(ZlibNative.ZStream));
        var rc = ZlibNative.InflateInit2(_inflate, ZlibNative.RawWindowBits);
        if (rc != ZlibNative.Ok)
        {
            NativeMemory.Free(_inflate);
            _inflate = null;
            throw new InvalidOperationException($"zlib inflateInit2 failed with {rc}");
        }
    }

    public override string Function => "deflate";

    public override DriverKind Kind => DriverKind.Compression;

    public override OpStatus Execute(in DriverOp op, ReadOnlySpan<byte> input, Span<byte> output, out int written)
    {
        written = 0;
        if (op.Code == OpCode.Forward)
        {
            return Compress(input, output, out written);
        }
        if (op.Code == OpCode.Inverse)
        {
            return Decompress(input, output, out written);
        }
        return OpStatus.Unsupported;
    }

    private OpStatus Compress(ReadOnlySpan<byte> input, Span<byte> output, out int written)
    {
        written = 0;
        ZlibNative.ZStream s = default;
        fixed (byte* pin = input)
        fixed (byte* pout = output)
        {
            // zlib's deflate needs a non-null pointer even for empty buffers.
            byte dummy = 0;
            s.NextIn = pin == null ? &dummy : pin;
            s.AvailIn = (uint)input.Length;
            s.NextOut = pout == null ? &dummy : pout;
            s.AvailOut = (uint)output.Length;
            var rc = ZlibNative.DeflateInit2(&s, _level, ZlibNative.Deflated, ZlibNative.RawWindowBits, ZlibNative.DefaultMemLevel, ZlibNative.DefaultStrategy);
            if (rc != ZlibNative.Ok)
            {
                return OpStatus.DriverFault;
            }
            rc = ZlibNative.Deflate(&s, ZlibNative.Finish);
            ZlibNative.DeflateEnd(&s);
            if (rc == ZlibNative.StreamEnd)
            {
                written = output.Length - (int)s.AvailOut;
                return OpStatus.Ok;
            }
            return rc == ZlibNative.Ok || rc == ZlibNative.BufError ? OpStatus.OutputTooSmall : OpStatus.DriverFault;
        }
    }

    private OpStatus Decompress(ReadOnlySpan<byte> input, Span<byte> output, out int written)
    {
        written = 0;
        if (_inflate == null)
        {
            return OpStatus.DriverFault;
        }
        ZlibNative.InflateReset2(_inflate, ZlibNative.RawWindowBits);
        fixed (byte* pin = input)
        fixed (byte* pout = output)
        {
            byte dummy = 0;
            _inflate->NextIn = pin == null ? &dummy : pin;
            _inflate->AvailIn = (uint)input.Length;
            _inflate->NextOut = pout == null ? &dummy : pout;
            _inflate->AvailOut = (uint)output.Length;
            var rc = ZlibNative.Inflate(_inflate, ZlibNative.Finish);
            var availOut = _inflate->AvailOut;
            // Never leave pointers into guest memory behind in the stream.
            _inflate->NextIn = null;
            _inflate->NextOut = null;
            if (rc == ZlibNative.StreamEnd)
            {
                written = output.Length - (int)availOut;
                return OpStatus.Ok;
            }
            if ((rc == ZlibNative.BufError || rc == ZlibNative.Ok) && availOut == 0)
            {
                return OpStatus.OutputTooSmall;
            }
            return OpStatus.BadInput;
        }
    }

    public override void Dispose()
    {
        if (_inflate != null)
        {
            ZlibNative.InflateEnd(_inflate);
            NativeMemory.Free(_inflate);
            _inflate = null;
        }
    }
}
