using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Fabric.Dataplane.Channel;
using Fabric.Dataplane.Drivers;

namespace Fabric.Bench.Dataplane;

/// <summary>
/// What the AEAD open's scratch buffer costs (issue 14, point 1): the product's open (decrypt into the driver's
/// scratch, verify, copy out) against a baseline computed here, AesGcm.Decrypt straight into the output (what the
/// driver did before, when a second guest thread could read unverified plaintext). Same key, nonce, ciphertext and
/// core, in one run; the two sides alternate window by window so a neighbour's load hits both alike.
/// </summary>
internal static class AeadOpenCopyBench
{
    private static readonly int[] s_sizes = [64, 1024, 16 * 1024];
    private static readonly byte[] s_key = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
    private static readonly byte[] s_nonce = Enumerable.Range(1, 12).Select(i => (byte)(i * 7)).ToArray();

    public static JsonObject Run(int core, TimeSpan perCase, TextWriter log)
    {
        var sizes = new JsonArray();
        string pin = "";
        foreach (var size in s_sizes)
        {
            var (direct, product) = Pinned.Run(core, () => Measure(size, perCase), out pin);
            var ratio = product / direct;
            var costNs = 1e9 / product - 1e9 / direct;
            log.WriteLine($"aead-open {size,6} B  straight {direct,12:N0} ops/s  scratch+copy {product,12:N0} ops/s  ratio {ratio:F3}  copy cost {costNs:F1} ns/op");
            sizes.Add(new JsonObject
            {
                ["size"] = size,
                ["open_straight_into_output_ops_per_sec"] = Math.Round(direct),
                ["open_scratch_verify_copy_ops_per_sec"] = Math.Round(product),
                ["scratch_vs_straight"] = Math.Round(ratio, 3),
                ["copy_cost_ns_per_op"] = Math.Round(costNs, 1),
                ["open_straight_gb_per_sec"] = Math.Round(direct * size / 1e9, 3),
                ["open_scratch_gb_per_sec"] = Math.Round(product * size / 1e9, 3),
            });
        }
        return new JsonObject
        {
            ["function"] = "aes-256-gcm",
            ["baseline"] = "AesGcm.Decrypt into the output (bench only; unsafe for a channel)",
            ["product"] = "AesGcmDriver Inverse: decrypt into per-worker scratch, verify, copy out",
            ["pin"] = pin,
            ["sizes"] = sizes,
        };
    }

    /// <summary>Best-window ops/s of each side.</summary>
    private static (double Direct, double Product) Measure(int size, TimeSpan perCase)
    {
        var plaintext = new byte[size];
        RandomNumberGenerator.Fill(plaintext);
        var sealedInput = new byte[size + AeadDriver.TagSize];
        using var aes = new AesGcm(s_key, AeadDriver.TagSize);
        aes.Encrypt(s_nonce, plaintext, sealedInput.AsSpan(0, size), sealedInput.AsSpan(size));
        var output = new byte[size];

        using var driver = new AesGcmDriver();
        if (driver.OpenSession(s_key, out var session) != OpStatus.Ok)
        {
            throw new InvalidOperationException("the AES-GCM driver refused the bench key");
        }
        var window = perCase / (2 * Figures.Windows);
        double bestDirect = 0, bestProduct = 0;
        // Warm both up (JIT, the driver's scratch) before anything counts.
        Straight(aes, sealedInput, output, size, TimeSpan.FromMilliseconds(100));
        Product(driver, session, sealedInput, output, TimeSpan.FromMilliseconds(100));
        for (var w = 0; w < Figures.Windows; w++)
        {
            bestDirect = Math.Max(bestDirect, Straight(aes, sealedInput, output, size, window));
            bestProduct = Math.Max(bestProduct, Product(driver, session, sealedInput, output, window));
        }
        if (!output.AsSpan().SequenceEqual(plaintext))
        {
            throw new InvalidOperationException("the open gave back other bytes than were sealed");
        }
        driver.CloseSession(session);
        return (bestDirect, bestProduct);
    }

    private static double Straight(AesGcm aes, byte[] input, byte[] output, int size, TimeSpan duration)
    {
        long ops = 0;
        var start = Stopwatch.GetTimestamp();
        var end = start + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        long now;
        do
        {
            for (var i = 0; i < 32; i++)
            {
                aes.Decrypt(s_nonce, input.AsSpan(0, size), input.AsSpan(size), output);
            }
            ops += 32;
            now = Stopwatch.GetTimestamp();
        }
        while (now < end);
        return ops / ((double)(now - start) / Stopwatch.Frequency);
    }

    private static double Product(AesGcmDriver driver, object? session, byte[] input, byte[] output, TimeSpan duration)
    {
        long ops = 0;
        var start = Stopwatch.GetTimestamp();
        var end = start + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        long now;
        do
        {
            for (var i = 0; i < 32; i++)
            {
                var op = new DriverOp(OpCode.Inverse, session, s_nonce, 0, long.MaxValue);
                if (driver.Execute(op, input, output, out _) != OpStatus.Ok)
                {
                    throw new InvalidOperationException("the driver's open failed in the bench");
                }
            }
            ops += 32;
            now = Stopwatch.GetTimestamp();
        }
        while (now < end);
        return ops / ((double)(now - start) / Stopwatch.Frequency);
    }
}
