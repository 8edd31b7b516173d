using System.IO.Compression;
using System.Text;
using Fabric.Dataplane.Channel;
using Fabric.Dataplane.Drivers;
using static Fabric.Dataplane.Tests.Drivers.DriverHarness;

namespace Fabric.Dataplane.Tests.Drivers;

public class KnownAnswerTests
{
    // NIST GCM specification (McGrew & Viega), AES-256 test cases 13, 14 and 16.
    [Theory]
    [InlineData("0000000000000000000000000000000000000000000000000000000000000000", "000000000000000000000000", "", "", "", "530f8afbc74536b9a963b4f1c4cb738b")]
    [InlineData("0000000000000000000000000000000000000000000000000000000000000000", "000000000000000000000000", "00000000000000000000000000000000", "", "cea7403d4d606b6e074ec5d3baf39d18", "d0d1c8a799996bf0265b98b5d48ab919")]
    [InlineData("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308", "cafebabefacedbaddecaf888",
        "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
        "feedfacedeadbeeffeedfacedeadbeefabaddad2",
        "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
        "76fc6ece0f4e1768cddf8853bb2d551b")]
    public void Aes256Gcm_seals_and_opens_the_NIST_vectors(string key, string iv, string pt, string aad, string ct, string tag)
    {
        using var driver = new AesGcmDriver();
        var session = Open(driver, Hex(key));
        var input = Hex(aad + pt);
        var sealedOut = Run(driver, OpCode.Forward, session, input, Hex(iv), Hex(aad).Length);
        Assert.Equal(OpStatus.Ok, sealedOut.Status);
        Assert.Equal(ct + tag, Convert.ToHexStringLower(sealedOut.Output));

        var opened = Run(driver, OpCode.Inverse, session, Hex(aad + ct + tag), Hex(iv), Hex(aad).Length);
        Assert.Equal(OpStatus.Ok, opened.Status);
        Assert.Equal(pt, Convert.ToHexStringLower(opened.Output));
    }

    // NIST GCM specification (McGrew & Viega), AES-128 test cases 1, 2 and 4: the aes-128-gcm function.
    [Theory]
    [MemberData(nameof(Aes128GcmVectors))]
    public void Aes128Gcm_seals_and_opens_the_NIST_vectors_and_takes_16_byte_keys_only(string key, string iv, string pt, string aad, string ct, string tag)
    {
        using var driver = (AesGcmDriver)GDriverCatalog.Create("aes-128-gcm");
        Assert.Equal("aes-128-gcm", driver.Function);
        Assert.Equal(OpStatus.BadKey, driver.OpenSession(new byte[32], out _));
        var session = Open(driver, Hex(key));
        var sealedOut = Run(driver, OpCode.Forward, session, Hex(aad + pt), Hex(iv), Hex(aad).Length);
        Assert.Equal(OpStatus.Ok, sealedOut.Status);
        Assert.Equal(ct + tag, Convert.ToHexStringLower(sealedOut.Output));
        var opened = Run(driver, OpCode.Inverse, session, Hex(aad + ct + tag), Hex(iv), Hex(aad).Length);
        Assert.Equal(OpStatus.Ok, opened.Status);
        Assert.Equal(pt, Convert.ToHexStringLower(opened.Output));
    }

    public static TheoryData<string, string, string, string, string, string> Aes128GcmVectors() => new()
    {
        { "00000000000000000000000000000000", "000000000000000000000000", "", "", "", "58e2fccefa7e3061367f1d57a4e7455a" },
        { "00000000000000000000000000000000", "000000000000000000000000", "00000000000000000000000000000000", "", "0388dace60b6a392f328c2b971b2fe78", "ab6e47d42cec13bdf53a67b21257bddf" },
        {
            "feffe9928665731c6d6a8f9467308308", "cafebabefacedbaddecaf888",
            "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
            "feedfacedeadbeeffeedfacedeadbeefabaddad2",
            "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
            "5bc94fbc3221a5db94fae95ae7121a47"
        },
    };

    [Fact]
    public void Aes256Gcm_refuses_a_forged_tag_and_a_wrong_key_size()
    {
        using var driver = new AesGcmDriver();
        Assert.Equal(OpStatus.BadKey, driver.OpenSession(new byte[20], out _));
        var session = Open(driver, new byte[32]);
        var forged = Hex("cea7403d4d606b6e074ec5d3baf39d18" + "d0d1c8a799996bf0265b98b5d48ab918");
        Assert.Equal(OpStatus.AuthFailed, Run(driver, OpCode.Inverse, session, forged).Status);
        Assert.Equal(OpStatus.OutputTooSmall, Run(driver, OpCode.Forward, session, new byte[64], capacity: 64).Status);
    }

    // RFC 8439 section 2.8.2.
    [Fact]
    public void ChaCha20Poly1305_matches_RFC8439_2_8_2()
    {
        using var driver = new ChaCha20Poly1305Driver();
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
    }

    [Theory]
    [InlineData("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")]
    [InlineData("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")]
    [InlineData("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")]
    public void Sha256_matches_FIPS_180_examples(string message, string digest)
    {
        using var driver = new Sha256Driver();
        var result = Run(driver, OpCode.Forward, null, Encoding.ASCII.GetBytes(message));
        Assert.Equal(OpStatus.Ok, result.Status);
        Assert.Equal(digest, Convert.ToHexStringLower(result.Output));
        var verify = Run(driver, OpCode.Inverse, null, [.. Encoding.ASCII.GetBytes(message), .. Hex(digest)]);
        Assert.Equal(OpStatus.Ok, verify.Status);
        var bad = Hex(digest);
        bad[5] ^= 1;
        Assert.Equal(OpStatus.AuthFailed, Run(driver, OpCode.Inverse, null, [.. Encoding.ASCII.GetBytes(message), .. bad]).Status);
    }

    // RFC 4231 test cases 1, 2 and 6 (key longer than the block size).
    [Theory]
    [InlineData("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "4869205468657265", "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")]
    [InlineData("4a656665", "7768617420646f2079612077616e7420666f72206e6f7468696e673f", "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")]
    [InlineData("aa*131",
        "54657374205573696e67204c6172676572205468616e20426c6f636b2d53697a65204b6579202d2048617368204b6579204669727374",
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")]
    public void HmacSha256_matches_RFC4231(string key, string data, string mac)
    {
        using var driver = new HmacSha256Driver();
        var keyBytes = key == "aa*131" ? Enumerable.Repeat((byte)0xAA, 131).ToArray() : Hex(key);
        var session = Open(driver, keyBytes);
        // Twice: the keyed state must reset between ops.
        for (var i = 0; i < 2; i++)
        {
            var result = Run(driver, OpCode.Forward, session, Hex(data));
            Assert.Equal(OpStatus.Ok, result.Status);
            Assert.Equal(mac, Convert.ToHexStringLower(result.Output));
        }
        Assert.Equal(OpStatus.BadSession, Run(driver, OpCode.Forward, null, Hex(data)).Status);
    }

    [Fact]
    public void Crc32C_matches_the_check_value_and_RFC3720_vectors()
    {
        Assert.Equal(0xE3069283u, Crc32C.Compute("123456789"u8));
        Assert.Equal(0x8A9136AAu, Crc32C.Compute(new byte[32]));
        Assert.Equal(0x62A8AB43u, Crc32C.Compute(Enumerable.Repeat((byte)0xFF, 32).ToArray()));
        Assert.Equal(0x46DD794Eu, Crc32C.Compute(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray()));
        using var driver = new Crc32CDriver();
        var result = Run(driver, OpCode.Forward, null, "123456789"u8);
        Assert.Equal(OpStatus.Ok, result.Status);
        Assert.Equal("839206e3", Convert.ToHexStringLower(result.Output)); // little-endian 0xE3069283
    }

    [Fact]
    public void Crc32C_of_odd_lengths_equals_the_bytewise_reference()
    {
        var data = new byte[1000];
        new Random(7).NextBytes(data);
        for (var length = 0; length < 40; length++)
        {
            var crc = ~0u;
            foreach (var b in data.AsSpan(0, length))
            {
                crc ^= b;
                for (var k = 0; k < 8; k++)
                {
                    crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
                }
            }
            Assert.Equal(~crc, Crc32C.Compute(data.AsSpan(0, length)));
        }
    }

    [Fact]
    public void Deflate_decodes_a_known_stream_and_round_trips_with_the_BCL()
    {
        using var driver = new DeflateDriver();
        // Raw deflate of "hello" (fixed Huffman block), as zlib writes it.
        var known = Run(driver, OpCode.Inverse, null, Hex("cb48cdc9c90700"));
        Assert.Equal(OpStatus.Ok, known.Status);
        Assert.Equal("hello", Encoding.ASCII.GetString(known.Output));

        var text = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("the quick brown fox jumps over the lazy dog. ", 400)));
        var compressed = Run(driver, OpCode.Forward, null, text);
        Assert.Equal(OpStatus.Ok, compressed.Status);
        Assert.True(compressed.Output.Length < text.Length / 10);
        using (var bcl = new DeflateStream(new MemoryStream(compressed.Output), CompressionMode.Decompress))
        using (var back = new MemoryStream())
        {
            bcl.CopyTo(back);
            Assert.Equal(text, back.ToArray());
        }
        Assert.Equal(text, Run(driver, OpCode.Inverse, null, compressed.Output).Output);
        Assert.Equal(OpStatus.OutputTooSmall, Run(driver, OpCode.Inverse, null, compressed.Output, capacity: 100).Status);
        Assert.Equal(OpStatus.BadInput, Run(driver, OpCode.Inverse, null, Hex("ffffffffffff")).Status);
        Assert.Equal(OpStatus.BadInput, Run(driver, OpCode.Inverse, null, compressed.Output.AsSpan(0, compressed.Output.Length / 2)).Status);
        Assert.Equal(OpStatus.OutputTooSmall, Run(driver, OpCode.Forward, null, RandomBytes(4096), capacity: 1000).Status);
    }

    [Fact]
    public void Brotli_round_trips_with_the_BCL()
    {
        using var driver = new BrotliDriver();
        var text = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("pack my box with five dozen liquor jugs ", 300)));
        var compressed = Run(driver, OpCode.Forward, null, text);
        Assert.Equal(OpStatus.Ok, compressed.Status);
        using (var bcl = new BrotliStream(new MemoryStream(compressed.Output), CompressionMode.Decompress))
        using (var back = new MemoryStream())
        {
            bcl.CopyTo(back);
            Assert.Equal(text, back.ToArray());
        }
        var bclCompressed = new MemoryStream();
        using (var enc = new BrotliStream(bclCompressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            enc.Write(text);
        }
        Assert.Equal(text, Run(driver, OpCode.Inverse, null, bclCompressed.ToArray()).Output);
        Assert.Equal(OpStatus.BadInput, Run(driver, OpCode.Inverse, null, Hex("0102030405")).Status);
    }

    internal static byte[] RandomBytes(int n, int seed = 1)
    {
        var b = new byte[n];
        new Random(seed).NextBytes(b);
        return b;
    }

    [Theory]
    [InlineData(16)]
    [InlineData(24)]
    [InlineData(32)]
    public void AesGcm_takes_128_192_and_256_bit_keys_and_agrees_with_the_BCL(int keyBytes)
    {
        using var driver = new AesGcmDriver();
        var key = System.Security.Cryptography.RandomNumberGenerator.GetBytes(keyBytes);
        var nonce = System.Security.Cryptography.RandomNumberGenerator.GetBytes(12);
        var message = System.Security.Cryptography.RandomNumberGenerator.GetBytes(1000);
        var session = Open(driver, key);
        var sealedOut = Run(driver, OpCode.Forward, session, message, nonce);
        Assert.Equal(OpStatus.Ok, sealedOut.Status);
        var expected = new byte[message.Length + 16];
        using (var aes = new System.Security.Cryptography.AesGcm(key, 16))
        {
            aes.Encrypt(nonce, message, expected.AsSpan(0, message.Length), expected.AsSpan(message.Length));
        }
        Assert.Equal(expected, sealedOut.Output);
        Assert.Equal(message, Run(driver, OpCode.Inverse, session, sealedOut.Output, nonce).Output);
        Assert.Equal(OpStatus.BadKey, new ChaCha20Poly1305Driver().OpenSession(new byte[keyBytes == 32 ? 16 : keyBytes], out _));
    }

    // RFC 4231 test case 5: HMAC-SHA-256 truncated to 128 bits (RFC 4868's HMAC-SHA-256-128).
    [Fact]
    public void HmacSha256_writes_and_verifies_a_tag_truncated_to_the_length_param_byte_12_asks()
    {
        using var driver = new HmacSha256Driver();
        var session = Open(driver, Enumerable.Repeat((byte)0x0c, 20).ToArray());
        var data = Encoding.ASCII.GetBytes("Test With Truncation");
        var output = new byte[64];
        var op16 = new DriverOp(OpCode.Forward, session, new byte[12], 0, long.MaxValue, tagLength: 16);
        Assert.Equal(OpStatus.Ok, driver.Execute(op16, data, output, out var written));
        Assert.Equal(16, written);
        Assert.Equal("a3b6167473100ee06e0c796c2955552b", Convert.ToHexStringLower(output.AsSpan(0, 16)));

        var signed = data.Concat(output.Take(16)).ToArray();
        Assert.Equal(OpStatus.Ok, driver.Execute(op16.WithCode(OpCode.Inverse), signed, [], out _));
        signed[^1] ^= 1;
        Assert.Equal(OpStatus.AuthFailed, driver.Execute(op16.WithCode(OpCode.Inverse), signed, [], out _));
        // Without the length, the same input is data || a 32-byte tag that does not match.
        signed[^1] ^= 1;
        var full = new DriverOp(OpCode.Inverse, session, new byte[12], 0, long.MaxValue);
        Assert.Equal(OpStatus.AuthFailed, driver.Execute(full, signed, [], out _));
        // Shorter than 16 bytes, or longer than the digest: refused.
        foreach (var bad in new[] { 1, 15, 33, 255 })
        {
            var op = new DriverOp(OpCode.Inverse, session, new byte[12], 0, long.MaxValue, tagLength: bad);
            Assert.Equal(OpStatus.BadInput, driver.Execute(op, signed, [], out _));
        }
        // Input shorter than the tag: BadInput.
        Assert.Equal(OpStatus.BadInput, driver.Execute(op16.WithCode(OpCode.Inverse), new byte[15], [], out _));
    }
}
