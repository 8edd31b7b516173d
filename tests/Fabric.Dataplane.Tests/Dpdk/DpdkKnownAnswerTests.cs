using System.IO.Compression;
using System.Text;
using Fabric.Dataplane.Channel;
using Fabric.Dataplane.Dpdk;
using Fabric.Dataplane.Drivers;
using Xunit.Abstractions;
using static Fabric.Dataplane.Tests.Drivers.DriverHarness;

namespace Fabric.Dataplane.Tests.Dpdk;

/// <summary>
/// Discovery (functions from each PMD's capabilities) and the .NET drivers' known-answer vectors (KnownAnswerTests)
/// through every discovered DPDK device that offers the function, three ways: copied (the op's buffers are arrays),
/// and zero copy with the buffers in a channel's arena registered with DPDK, input only and input and output.
/// </summary>
[Collection(DpdkCollection.Name)]
public sealed class DpdkKnownAnswerTests(DpdkFixture dpdk, ITestOutputHelper output) : IDisposable
{
    private readonly ArenaRunner _arena = new();

    public void Dispose() => _arena.Dispose();

    /// <summary>A driver for the mode: Off runs on arrays (the copy path), the others on the registered arena.</summary>
    private DpdkGDriver Make(string device, string function, DpdkZeroCopy zeroCopy, int level = 6) =>
        zeroCopy == DpdkZeroCopy.Off ? new DpdkGDriver(dpdk.Any(device), function, level, DpdkZeroCopy.Off) : _arena.Make(dpdk.Any(device), function, zeroCopy, level);

    private (OpStatus Status, byte[] Output) Run(IGDriver driver, OpCode code, object? session, ReadOnlySpan<byte> input, byte[]? nonce = null, int aad = 0, int capacity = 64 * 1024) =>
        driver is DpdkGDriver { ZeroCopyMode: not DpdkZeroCopy.Off }
            ? _arena.Run(driver, code, session, input, nonce, aad, capacity)
            : Drivers.DriverHarness.Run(driver, code, session, input, nonce, aad, capacity);

    /// <summary>Zero copy really ran (the vectors passing on the copy path would prove nothing about it).</summary>
    private void AssertZeroCopy(DpdkGDriver driver)
    {
        output.WriteLine($"{driver.Device.Name} {driver.Function} {driver.ZeroCopyMode}: {driver.ZeroCopyOps} ops zero copy; device: {driver.Device.ZeroCopy}; {driver.ZeroCopyProblem}");
        if (driver.ZeroCopyMode != DpdkZeroCopy.Off && driver.ZeroCopyProblem is { } problem)
        {
            // Only the PMD's own limits excuse the copy (e.g. Input on a PMD without out-of-place buffers).
            Assert.StartsWith($"{driver.Device.Name} copies: ", problem, StringComparison.Ordinal);
            Assert.Equal(0, driver.ZeroCopyOps);
        }
        else if (driver.ZeroCopyMode != DpdkZeroCopy.Off)
        {
            Assert.True(driver.ZeroCopyActive);
            Assert.True(driver.ZeroCopyOps > 0, $"{driver.Device.Name}: no op went zero copy");
        }
        else
        {
            Assert.Equal(0, driver.ZeroCopyOps);
        }
    }

    [Fact]
    public void Discovery_reads_functions_PMD_NUMA_and_queue_pairs_from_capabilities()
    {
        foreach (var d in dpdk.Discovered)
        {
            output.WriteLine($"{d.Name} {d.Driver} socket {d.SocketId} qps {d.MaxQueuePairs}: {string.Join(", ", d.Functions)}{(d.Aes128Gcm ? " (+aes-128-gcm)" : "")}");
        }
        var byName = dpdk.Discovered.ToDictionary(d => d.Name);
        Assert.Equal(DpdkFixture.AllDevices.Append(DpdkFixture.Scheduler).Order(), byName.Keys.Order());
        Assert.Equal("crypto_openssl", byName["crypto_openssl0"].Driver);
        Assert.Equal("crypto_aesni_gcm", byName["crypto_aesni_gcm0"].Driver);
        Assert.Equal("compress_isal", byName["compress_isal0"].Driver);
        Assert.Equal("compress_zlib", byName["compress_zlib0"].Driver);
        foreach (var (name, functions) in s_expected)
        {
            Assert.Equal(functions, byName[name].Functions);
        }
        // Cryptodevs state their queue pairs; the software compressdevs say 0, "no limit".
        Assert.All(dpdk.Discovered, d => Assert.True(d.IsCompress ? d.MaxQueuePairs >= 0 : d.MaxQueuePairs > 0, d.Name));
        Assert.All(dpdk.Discovered, d => Assert.True(d.IsCompress == d.Functions.Contains("deflate"), d.Name));
    }

    public static TheoryData<string, DpdkZeroCopy> With(string function)
    {
        var data = new TheoryData<string, DpdkZeroCopy>();
        foreach (var d in s_expected.Where(d => d.Functions.Contains(function)))
        {
            foreach (var mode in Enum.GetValues<DpdkZeroCopy>())
            {
                data.Add(d.Name, mode);
            }
        }
        return data;
    }

    public static TheoryData<string, DpdkZeroCopy> AesGcmDevices() => With("aes-256-gcm");

    public static TheoryData<string, DpdkZeroCopy> Aes128GcmDevices() => With("aes-128-gcm");

    public static TheoryData<string, DpdkZeroCopy> ChaChaDevices() => With("chacha20-poly1305");

    public static TheoryData<string, DpdkZeroCopy> Sha256Devices() => With("sha256");

    public static TheoryData<string, DpdkZeroCopy> HmacDevices() => With("hmac-sha256");

    public static TheoryData<string, DpdkZeroCopy> DeflateDevices() => With("deflate");

    [Theory]
    [MemberData(nameof(ChaChaDevices))]
    public void ChaCha20Poly1305_matches_RFC8439_2_8_2(string device, DpdkZeroCopy zeroCopy)
    {
        using var driver = Make(device, "chacha20-poly1305", zeroCopy);
        var key = Hex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
        var nonce = Hex("070000004041424344454647");
        var aad = Hex("50515253c0c1c2c3c4c5c6c7");
        var pt = Encoding.ASCII.GetBytes("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.");
        const string ct = "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc3ff4def08e4b7a9de576d26586cec64b6116";
        const string tag = "1ae10b594f09e26a7e902ecbd0600691";
        var session = Open(driver, key);
        var sealedOut = Run(driver, OpCode.Forward, session, [.. aad, .. pt], nonce, aad.Length);
        Assert.Equal(OpStatus.Ok, sealedOut.Status);
        Assert.Equal(ct + tag, Convert.ToHexStringLower(sealedOut.Output));
        var opened = Run(driver, OpCode.Inverse, session, [.. aad, .. Hex(ct + tag)], nonce, aad.Length);
        Assert.Equal(OpStatus.Ok, opened.Status);
        Assert.Equal(pt, opened.Output);
        var forged = Hex(ct + tag);
        forged[^1] ^= 1;
        Assert.Equal(OpStatus.AuthFailed, Run(driver, OpCode.Inverse, session, [.. aad, .. forged], nonce, aad.Length).Status);
        Assert.Equal(OpStatus.BadKey, driver.OpenSession(new byte[16], out _));
        driver.CloseSession(session);
        AssertZeroCopy(driver);
    }

    [Theory]
    [MemberData(nameof(Aes128GcmDevices))]
    public void Aes128Gcm_matches_the_NIST_vectors_and_takes_16_byte_keys_only(string device, DpdkZeroCopy zeroCopy)
    {
        using var driver = Make(device, "aes-128-gcm", zeroCopy);
        Assert.Equal("aes-128-gcm", driver.Function);
        Assert.Equal(OpStatus.BadKey, driver.OpenSession(new byte[32], out _));
        foreach (var v in Drivers.KnownAnswerTests.Aes128GcmVectors())
        {
            var (key, iv, pt, aad, ct, tag) = ((string)v[0], (string)v[1], (string)v[2], (string)v[3], (string)v[4], (string)v[5]);
            var session = Open(driver, Hex(key));
            var sealedOut = Run(driver, OpCode.Forward, session, Hex(aad + pt), Hex(iv), Hex(aad).Length);
            Assert.Equal(OpStatus.Ok, sealedOut.Status);
            Assert.Equal(ct + tag, Convert.ToHexStringLower(sealedOut.Output));
            var opened = Run(driver, OpCode.Inverse, session, Hex(aad + ct + tag), Hex(iv), Hex(aad).Length);
            Assert.Equal(OpStatus.Ok, opened.Status);
            Assert.Equal(pt, Convert.ToHexStringLower(opened.Output));
            driver.CloseSession(session);
        }
        AssertZeroCopy(driver);
    }

    [Theory]
    [MemberData(nameof(AesGcmDevices))]
    public void AesGcm_128_bit_keys_agree_with_the_dotnet_driver_where_the_PMD_offers_them(string device, DpdkZeroCopy zeroCopy)
    {
        var info = dpdk.Discovered.Single(d => d.Name == device);
        using var driver = Make(device, "aes-256-gcm", zeroCopy);
        using var reference = new AesGcmDriver();
        var key = KnownAnswerTestsBytes(16, 3);
        if (!info.Aes128Gcm)
        {
            Assert.Equal(OpStatus.Unsupported, driver.OpenSession(key, out _));
            return; // no op ran: nothing to say about zero copy
        }
        var input = KnownAnswerTestsBytes(100, 4);
        var expected = Run(reference, OpCode.Forward, Open(reference, key), input, aad: 20);
        var actual = Run(driver, OpCode.Forward, Open(driver, key), input, aad: 20);
        Assert.Equal(OpStatus.Ok, actual.Status);
        Assert.Equal(expected.Output, actual.Output);
        AssertZeroCopy(driver);
    }

    [Theory]
    [MemberData(nameof(Sha256Devices))]
    public void Sha256_matches_FIPS_180_examples(string device, DpdkZeroCopy zeroCopy)
    {
        using var driver = Make(device, "sha256", zeroCopy);
        Assert.False(driver.RequiresSession);
        Assert.Equal(32, driver.DigestSize);
        (string Message, string Digest)[] vectors =
        [
            ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        ];
        foreach (var (message, digest) in vectors)
        {
            var result = Run(driver, OpCode.Forward, null, Encoding.ASCII.GetBytes(message));
            Assert.Equal(OpStatus.Ok, result.Status);
            Assert.Equal(digest, Convert.ToHexStringLower(result.Output));
            Assert.Equal(OpStatus.Ok, Run(driver, OpCode.Inverse, null, [.. Encoding.ASCII.GetBytes(message), .. Hex(digest)]).Status);
            var bad = Hex(digest);
            bad[5] ^= 1;
            Assert.Equal(OpStatus.AuthFailed, Run(driver, OpCode.Inverse, null, [.. Encoding.ASCII.GetBytes(message), .. bad]).Status);
        }
        Assert.Equal(OpStatus.OutputTooSmall, Run(driver, OpCode.Forward, null, "abc"u8, capacity: 31).Status);
        Assert.Equal(OpStatus.BadInput, Run(driver, OpCode.Inverse, null, new byte[31]).Status);
        AssertZeroCopy(driver);
    }

    // RFC 4231 test cases 1, 2 and 6 (a key longer than the block size), and RFC 4868 truncation.
    [Theory]
    [MemberData(nameof(HmacDevices))]
    public void HmacSha256_matches_RFC4231(string device, DpdkZeroCopy zeroCopy)
    {
        using var driver = Make(device, "hmac-sha256", zeroCopy);
        (byte[] Key, string Data, string Mac)[] vectors =
        [
            (Hex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"), "4869205468657265", "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
            (Hex("4a656665"), "7768617420646f2079612077616e7420666f72206e6f7468696e673f", "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
            (Enumerable.Repeat((byte)0xAA, 131).ToArray(),
                "54657374205573696e67204c6172676572205468616e20426c6f636b2d53697a65204b6579202d2048617368204b6579204669727374",
                "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
        ];
        foreach (var (key, data, mac) in vectors)
        {
            var session = Open(driver, key);
            for (var i = 0; i < 2; i++)
            {
                var result = Run(driver, OpCode.Forward, session, Hex(data));
                Assert.Equal(OpStatus.Ok, result.Status);
                Assert.Equal(mac, Convert.ToHexStringLower(result.Output));
            }
            Assert.Equal(OpStatus.Ok, Run(driver, OpCode.Inverse, session, [.. Hex(data), .. Hex(mac)]).Status);
            var truncated = new DriverOp(OpCode.Forward, session, new byte[12], 0, long.MaxValue, 16);
            var output16 = new byte[64];
            Assert.Equal(OpStatus.Ok, driver.Execute(truncated, Hex(data), output16, out var written));
            Assert.Equal(mac[..32], Convert.ToHexStringLower(output16.AsSpan(0, written)));
            driver.CloseSession(session);
        }
        Assert.Equal(OpStatus.BadSession, Run(driver, OpCode.Forward, null, Hex("00")).Status);
        Assert.Equal(OpStatus.BadKey, driver.OpenSession([], out _));
        AssertZeroCopy(driver);
    }

    [Theory]
    [MemberData(nameof(DeflateDevices))]
    public void Deflate_decodes_a_known_stream_and_round_trips_with_zlib_and_the_BCL(string device, DpdkZeroCopy zeroCopy)
    {
        using var driver = Make(device, "deflate", zeroCopy, level: 1);
        using var reference = new DeflateDriver(level: 1);
        Assert.Equal(DriverKind.Compression, driver.Kind);
        var known = Run(driver, OpCode.Inverse, null, Hex("cb48cdc9c90700"));
        Assert.Equal(OpStatus.Ok, known.Status);
        Assert.Equal("hello", Encoding.ASCII.GetString(known.Output));

        var text = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("the quick brown fox jumps over the lazy dog. ", 400)));
        var compressed = Run(driver, OpCode.Forward, null, text);
        Assert.Equal(OpStatus.Ok, compressed.Status);
        Assert.True(compressed.Output.Length < text.Length / 10, $"{compressed.Output.Length} bytes");
        using (var bcl = new DeflateStream(new MemoryStream(compressed.Output), CompressionMode.Decompress))
        using (var back = new MemoryStream())
        {
            bcl.CopyTo(back);
            Assert.Equal(text, back.ToArray());
        }
        // The same meaning both ways: the .NET driver inflates what the device wrote, the device what zlib wrote.
        Assert.Equal(text, Run(reference, OpCode.Inverse, null, compressed.Output).Output);
        Assert.Equal(text, Run(driver, OpCode.Inverse, null, Run(reference, OpCode.Forward, null, text).Output).Output);
        Assert.Equal(OpStatus.OutputTooSmall, Run(driver, OpCode.Inverse, null, compressed.Output, capacity: 100).Status);
        Assert.Equal(OpStatus.BadInput, Run(driver, OpCode.Inverse, null, Hex("ffffffffffff")).Status);
        Assert.Equal(OpStatus.OutputTooSmall, Run(driver, OpCode.Forward, null, KnownAnswerTestsBytes(4096, 1), capacity: 1000).Status);
        var empty = Run(driver, OpCode.Forward, null, []);
        Assert.Equal(OpStatus.Ok, empty.Status);
        Assert.Empty(Run(reference, OpCode.Inverse, null, empty.Output).Output);
        AssertZeroCopy(driver);
    }

    [Fact]
    public void A_function_the_device_lacks_is_refused_with_its_reason()
    {
        var gcmOnly = Assert.Throws<DpdkException>(() => new DpdkGDriver(dpdk.Any("crypto_aesni_gcm0"), "sha256"));
        Assert.Contains("crypto_aesni_gcm0 does not do SHA-256", gcmOnly.Message, StringComparison.Ordinal);
        var wrongKind = Assert.Throws<DpdkException>(() => new DpdkGDriver(dpdk.Any("compress_isal0"), "aes-256-gcm"));
        Assert.Contains("needs a compressdev", wrongKind.Message, StringComparison.Ordinal);
        Assert.Throws<DpdkException>(() => new DpdkGDriver(dpdk.Any("crypto_openssl0"), "brotli"));
    }

    private static byte[] KnownAnswerTestsBytes(int n, int seed)
    {
        var b = new byte[n];
        new Random(seed).NextBytes(b);
        return b;
    }

    /// <summary>
    /// What each fixture vdev's PMD offers in DPDK 22.11 (doc/guides/cryptodevs/features/*.ini, compressdevs): the
    /// discovery test checks the capabilities say the same, and the KATs run on each device offering the function
    /// (MemberData is evaluated before the fixture starts EAL).
    /// </summary>
    private static readonly (string Name, string[] Functions)[] s_expected =
    [
        ("crypto_openssl0", ["aes-256-gcm", "sha256", "hmac-sha256", "aes-128-gcm"]),
        ("crypto_aesni_gcm0", ["aes-256-gcm", "aes-128-gcm"]),
        ("crypto_aesni_mb0", ["aes-256-gcm", "chacha20-poly1305", "sha256", "hmac-sha256", "aes-128-gcm"]),
        ("crypto_chacha20_poly1305_0", ["chacha20-poly1305"]),
        ("crypto_scheduler0", ["aes-256-gcm", "aes-128-gcm"]),
        ("compress_isal0", ["deflate"]),
        ("compress_zlib0", ["deflate"]),
    ];
}
