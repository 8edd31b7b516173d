using Fabric.Dataplane.Channel;
using Fabric.Dataplane.Drivers;

namespace Fabric.Bench.Dataplane;

/// <summary>One measured operation: a g-driver function at a payload size.</summary>
internal sealed record BenchCase(string Name, string Function, int Size, int Depth)
{
    public static IReadOnlyList<BenchCase> All { get; } =
    [
        // Small ops get a deep queue: hundreds of microseconds of queued work keep the AC busy through a
        // scheduler hiccup of the guest; large ops keep their output working set within L2.
        new("aes-256-gcm/64B", "aes-256-gcm", 64, 256),
        new("aes-256-gcm/1KiB", "aes-256-gcm", 1024, 256),
        new("aes-256-gcm/16KiB", "aes-256-gcm", 16 * 1024, 32),
        new("deflate->aes-256-gcm->sha256/16KiB", "deflate->aes-256-gcm->sha256", 16 * 1024, 32),
    ];

    /// <summary>Bench key and nonce: fixed (a benchmark, not a protocol: never reuse a nonce for real).</summary>
    public static readonly byte[] Key = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();

    public static readonly byte[] Nonce = Enumerable.Range(1, SubmissionDescriptor.NonceSize).Select(i => (byte)(i * 7)).ToArray();

    /// <summary>Output room: sealed data plus tag and digest, or deflate's worst case.</summary>
    public int OutCapacity => Size + Size / 8 + 256;

    /// <summary>Text-like input that deflate compresses about 3:1, the same for every side of the comparison.</summary>
    public static void FillInput(Span<byte> buffer)
    {
        ReadOnlySpan<string> words = ["accelerator", "fabric", "ring", "queue", "guest", "core", "pinned", "session", "driver", "pipeline", "deflate", "seal", "digest", "channel", "burst"];
        var random = new Random(42);
        var i = 0;
        while (i < buffer.Length)
        {
            var w = words[random.Next(words.Length)];
            for (var k = 0; k < w.Length && i < buffer.Length; k++)
            {
                buffer[i++] = (byte)w[k];
            }
            if (i < buffer.Length)
            {
                buffer[i++] = (byte)(random.Next(8) == 0 ? '\n' : ' ');
            }
        }
    }

    public IGDriver CreateDriver() => GDriverCatalog.Create(Function);
}
