using System.IO.Compression;
using Fabric.Dataplane.Channel;

namespace Fabric.Dataplane.Drivers;

/// <summary>
/// Brotli g-driver using the one-shot BrotliEncoder/BrotliDecoder calls (no managed allocation).
/// The one-shot decoder cannot tell a short output buffer from bad input: both complete as BadInput.
/// </summary>
public sealed class BrotliDriver : KeylessDriver
{
    private readonly int _quality;
    private readonly int _window;

    /// <param name="quality">0 (fastest) to 11 (smallest).</param>
    public BrotliDriver(int quality = 4, int window = 22)
    {
        if (quality < 0 || quality > 11)
        {
            throw new ArgumentOutOfRangeException(nameof(quality), quality, "brotli quality must be in [0, 11]");
        }
        if (window < 10 || window > 24)
        {
            throw new ArgumentOutOfRangeException(nameof(window), window, "brotli window must be in [10, 24]");
        }
        _quality = quality;
        _window = window;
    }

    public override string Function => "brotli";

    public override DriverKind Kind => DriverKind.Compression;

    public override OpStatus Execute(in DriverOp op, ReadOnlySpan<byte> input, Span<byte> output, out int written)
    {
        if (op.Code == OpCode.Forward)
        {
            return BrotliEncoder.TryCompress(input, output, out written, _quality, _window) ? OpStatus.Ok : OpStatus.OutputTooSmall;
        }
        if (op.Code == OpCode.Inverse)
        {
            return BrotliDecoder.TryDecompress(input, output, out written) ? OpStatus.Ok : OpStatus.BadInput;
        }
        written = 0;
        return OpStatus.Unsupported;
    }
}
