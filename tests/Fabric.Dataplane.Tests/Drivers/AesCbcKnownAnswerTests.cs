using System.Security.Cryptography;
using Fabric.Dataplane.Channel;
using Fabric.Dataplane.Drivers;
using static Fabric.Dataplane.Tests.Drivers.DriverHarness;

namespace Fabric.Dataplane.Tests.Drivers;

/// <summary>AES-CBC and AES-CBC+HMAC g-drivers: NIST SP 800-38A F.2 vectors and chains checked against the openssl CLI.</summary>
public class AesCbcKnownAnswerTests
{
    public const string Iv = "000102030405060708090a0b0c0d0e0f";
    public const string Plaintext = "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710";
    public const string Key128 = "2b7e151628aed2a6abf7158809cf4f3c";
    public const string Key192 = "8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b";
    public const string Key256 = "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4";
    public const string Ciphertext128 = "7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b273bed6b8e3c1743b7116e69e222295163ff1caa1681fac09120eca307586e1a7";
    public const string Ciphertext192 = "4f021db243bc633d7178183a9fa071e8b4d9ada9ad7dedf4e5e738763f69145a571b242012fb7ae07fa9baac3df102e008b0e27988598881d920a9e64f5615cd";
    public const string Ciphertext256 = "f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d39f23369a9d9bacfa530e26304231461b2eb05e2c39be9fcda6c19078c6a9d1b";
    public const string MacKey = "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b";

    private static (OpStatus Status, byte[] Output) RunIv(IGDriver driver, OpCode code, object? session, ReadOnlySpan<byte> input, string iv = Iv, int aad = 0, int capacity = 4096)
    {
        var output = new byte[capacity];
        var op = new DriverOp(code, session, new byte[12], aad, long.MaxValue, 0, Hex(iv));
        var status = driver.Execute(op, input, output, out var written);
        return (status, output[..written]);
    }

    // F.2.1 / F.2.2 (AES-128) and F.2.5 / F.2.6 (AES-256): encrypt, then decrypt back, block by block in one op.
    [Theory]
    [InlineData("aes-128-cbc", Key128, Ciphertext128)]
    [InlineData("aes-256-cbc", Key256, Ciphertext256)]
    public void AesCbc_matches_SP800_38A_F2(string function, string key, string ciphertext)
    {
        using var driver = GDriverCatalog.Create(function);
        var session = Open(driver, Hex(key));
        var enc = RunIv(driver, OpCode.Forward, session, Hex(Plaintext));
        Assert.Equal(OpStatus.Ok, enc.Status);
        Assert.Equal(ciphertext, Convert.ToHexStringLower(enc.Output));
        var dec = RunIv(driver, OpCode.Inverse, session, Hex(ciphertext));
        Assert.Equal(OpStatus.Ok, dec.Status);
        Assert.Equal(Plaintext, Convert.ToHexStringLower(dec.Output));
        // The second block alone, chained from the first ciphertext block as IV (the CBC chaining itself).
        var second = RunIv(driver, OpCode.Forward, session, Hex(Plaintext.Substring(32, 32)), ciphertext[..32]);
        Assert.Equal(ciphertext.Substring(32, 32), Convert.ToHexStringLower(second.Output));
        driver.CloseSession(session);
    }

    // F.2.1 / F.2.3 / F.2.5 (and their decryptions) on a channel: one aes-cbc queue, one session per key size, the IV
    // in the descriptor's param, the AC's worker running the driver.
    [Fact]
    public void AesCbc_serves_128_192_and_256_bit_keys_on_one_channel_SP800_38A_F2()
    {
        using var rig = new Rig(GDriverCatalog.Create("aes-cbc"));
        var g = rig.Guest;
        Assert.Equal("aes-cbc", rig.Engine.GetStats("q")!.Function);
        foreach (var (key, ciphertext) in new[] { (Key128, Ciphertext128), (Key192, Ciphertext192), (Key256, Ciphertext256) })
        {
            var session = g.OpenSession(Hex(key), 0, TestSupport.Patience);
            Hex(Plaintext).CopyTo(g.Slot(1));
            var enc = g.SubmitAndWait(TestSupport.Data(1, OpCode.Forward, session, 1, 64, 2, 64, nonce: Hex(Iv)), TestSupport.Patience);
            Assert.Equal(OpStatus.Ok, enc.Status);
            Assert.Equal(ciphertext, Convert.ToHexStringLower(g.Slot(2)[..(int)enc.OutLength]));
            Hex(ciphertext).CopyTo(g.Slot(3));
            var dec = g.SubmitAndWait(TestSupport.Data(2, OpCode.Inverse, session, 3, 64, 4, 64, nonce: Hex(Iv)), TestSupport.Patience);
            Assert.Equal(OpStatus.Ok, dec.Status);
            Assert.Equal(Plaintext, Convert.ToHexStringLower(g.Slot(4)[..(int)dec.OutLength]));
            Assert.Equal(OpStatus.Ok, g.CloseSession(session, TestSupport.Patience));
        }
        // Not an AES key size: refused when the session is opened.
        var error = Assert.Throws<InvalidOperationException>(() => g.OpenSession(new byte[20], 0, TestSupport.Patience));
        Assert.Contains(nameof(OpStatus.BadKey), error.Message);
    }

    // The session's encryptor chains from the last block it produced; each request has its own IV: a run of requests
    // of random lengths (up to three 4 KiB chunks) and IVs on one session equals the BCL's one-shot CBC, both ways.
    [Theory]
    [InlineData(16)]
    [InlineData(24)]
    [InlineData(32)]
    public void AesCbc_requests_in_a_row_on_one_session_equal_the_BCL_one_shot(int keySize)
    {
        using var driver = new AesCbcDriver();
        var random = new Random(keySize);
        var key = new byte[keySize];
        random.NextBytes(key);
        var session = Open(driver, key);
        using var aes = Aes.Create();
        aes.Key = key;
        for (var i = 0; i < 40; i++)
        {
            var data = new byte[16 * random.Next(0, 3 * 256 + 8)];
            random.NextBytes(data);
            var iv = new byte[16];
            random.NextBytes(iv);
            var sealedOut = RunIv(driver, OpCode.Forward, session, data, Convert.ToHexStringLower(iv), capacity: data.Length);
            Assert.Equal(OpStatus.Ok, sealedOut.Status);
            Assert.Equal(aes.EncryptCbc(data, iv, PaddingMode.None), sealedOut.Output);
            var opened = RunIv(driver, OpCode.Inverse, session, sealedOut.Output, Convert.ToHexStringLower(iv), capacity: data.Length);
            Assert.Equal(data, opened.Output);
        }
        driver.CloseSession(session);
    }

    [Fact]
    public void AesCbc_takes_only_AES_key_sizes()
    {
        using var driver = new AesCbcDriver();
        Assert.Equal("aes-cbc", driver.Function);
        foreach (var size in new[] { 0, 8, 15, 17, 20, 31, 33, 64 })
        {
            Assert.Equal(OpStatus.BadKey, driver.OpenSession(new byte[size], out var none));
            Assert.Null(none);
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => new AesCbcDriver(24));
    }

    [Fact]
    public void AesCbc_refuses_wrong_keys_ivs_lengths_and_small_outputs()
    {
        using var aes128 = new AesCbcDriver(16);
        using var aes256 = new AesCbcDriver(32);
        Assert.Equal(OpStatus.BadKey, aes128.OpenSession(Hex(Key192), out _));
        Assert.Equal(OpStatus.BadKey, aes128.OpenSession(Hex(Key256), out _));
        Assert.Equal(OpStatus.BadKey, aes256.OpenSession(Hex(Key128), out _));
        var session = Open(aes128, Hex(Key128));
        Assert.Equal(OpStatus.BadInput, RunIv(aes128, OpCode.Forward, session, new byte[17]).Status);
        Assert.Equal(OpStatus.BadInput, RunIv(aes128, OpCode.Inverse, session, new byte[15]).Status);
        // A caller with only a 12-byte nonce (no IV) is refused, not run with a guessed IV.
        Assert.Equal(OpStatus.BadInput, Run(aes128, OpCode.Forward, session, new byte[16]).Status);
        Assert.Equal(OpStatus.BadInput, RunIv(aes128, OpCode.Forward, session, new byte[32], aad: 16).Status);
        Assert.Equal(OpStatus.OutputTooSmall, RunIv(aes128, OpCode.Forward, session, new byte[64], capacity: 48).Status);
        Assert.Equal(OpStatus.BadSession, RunIv(aes128, OpCode.Forward, null, new byte[16]).Status);
        // Zero blocks is a valid (empty) op.
        var empty = RunIv(aes128, OpCode.Forward, session, []);
        Assert.Equal(OpStatus.Ok, empty.Status);
        Assert.Empty(empty.Output);
    }

    [Fact]
    public void The_IV_reaches_the_driver_from_the_descriptor_param_through_the_AC_adapter()
    {
        using var driver = new AesCbcDriver(16);
        using var port = new SyncDriverAdapter(driver);
        var session = Open(driver, Hex(Key128));
        var input = Hex(Plaintext);
        var output = new byte[input.Length];
        unsafe
        {
            fixed (byte* i = input, o = output)
            {
                var request = new DriverRequest { Token = 7, Code = OpCode.Forward, Session = session, Input = (nint)i, InputLength = input.Length, Output = (nint)o, OutputCapacity = output.Length, DeadlineTimestamp = long.MaxValue };
                Hex(Iv).CopyTo(request.Param);
                Assert.Equal(1, port.Submit([request]));
            }
        }
        var done = new DriverCompletion[1];
        Assert.Equal(1, port.Poll(done));
        Assert.Equal(OpStatus.Ok, done[0].Status);
        Assert.Equal(Ciphertext128, Convert.ToHexStringLower(output));
    }

    // Expected tags from the openssl CLI: `openssl enc -aes-N-cbc -nopad | openssl dgst -sha1|-sha256 -mac HMAC`.
    [Theory]
    [InlineData("aes-128-cbc-hmac-sha1", Key128, Ciphertext128, "", "a93ca10bd80536504cceccc78016185075114cd4")]
    [InlineData("aes-128-cbc-hmac-sha1", Key128, Ciphertext128, "feedfacedeadbeef", "34df499584e418533a63f78fe3baeac7e016798e")]
    [InlineData("aes-256-cbc-hmac-sha256", Key256, Ciphertext256, "", "9b7e71da76c62e4d72149987508bc3920f6827415da85740fdfec13746fdf465")]
    public void AesCbcHmac_encrypts_then_macs_like_openssl(string function, string key, string ciphertext, string aad, string tag)
    {
        using var driver = GDriverCatalog.Create(function);
        var session = Open(driver, Hex(key + MacKey));
        var sealedOut = RunIv(driver, OpCode.Forward, session, Hex(aad + Plaintext), aad: aad.Length / 2);
        Assert.Equal(OpStatus.Ok, sealedOut.Status);
        Assert.Equal(ciphertext + tag, Convert.ToHexStringLower(sealedOut.Output));
        var opened = RunIv(driver, OpCode.Inverse, session, Hex(aad + ciphertext + tag), aad: aad.Length / 2);
        Assert.Equal(OpStatus.Ok, opened.Status);
        Assert.Equal(Plaintext, Convert.ToHexStringLower(opened.Output));

        var forged = Hex(aad + ciphertext + tag);
        forged[^1] ^= 1;
        var output = new byte[256];
        output.AsSpan().Fill(0x5a);
        var op = new DriverOp(OpCode.Inverse, session, new byte[12], aad.Length / 2, long.MaxValue, 0, Hex(Iv));
        Assert.Equal(OpStatus.AuthFailed, driver.Execute(op, forged, output, out var written));
        Assert.Equal(0, written);
        Assert.All(output, b => Assert.Equal(0x5a, b)); // nothing decrypted before the tag verified
    }

    [Theory]
    [InlineData("aes-128-cbc-hmac-sha1", 16, 20)]
    [InlineData("aes-256-cbc-hmac-sha1", 32, 20)]
    [InlineData("aes-128-cbc-hmac-sha256", 16, 32)]
    [InlineData("aes-256-cbc-hmac-sha256", 32, 32)]
    public void AesCbcHmac_equals_the_BCL_primitives_and_refuses_bad_keys(string function, int keySize, int tagSize)
    {
        using var driver = GDriverCatalog.Create(function);
        Assert.Equal(OpStatus.BadKey, driver.OpenSession(new byte[keySize], out _)); // no MAC key
        Assert.Equal(OpStatus.BadKey, driver.OpenSession(new byte[keySize - 1], out _));
        Assert.Equal(OpStatus.BadKey, driver.OpenSession(new byte[keySize + AesCbcHmacDriver.MaxMacKeyBytes + 1], out _));
        var random = new Random(16);
        var key = new byte[keySize + 37];
        random.NextBytes(key);
        var session = Open(driver, key);
        var data = new byte[1024 + 8];
        random.NextBytes(data);
        var sealedOut = RunIv(driver, OpCode.Forward, session, data, aad: 8, capacity: 2048);
        Assert.Equal(OpStatus.Ok, sealedOut.Status);
        using var aes = Aes.Create();
        aes.Key = key[..keySize];
        var ct = aes.EncryptCbc(data[8..], Hex(Iv), PaddingMode.None);
        byte[] macInput = [.. data[..8], .. ct];
        var mac = tagSize == 20 ? HMACSHA1.HashData(key[keySize..], macInput) : HMACSHA256.HashData(key[keySize..], macInput);
        Assert.Equal([.. ct, .. mac], sealedOut.Output);
        Assert.Equal(OpStatus.BadInput, RunIv(driver, OpCode.Inverse, session, new byte[tagSize - 1]).Status);
        Assert.Equal(OpStatus.BadInput, RunIv(driver, OpCode.Forward, session, new byte[20]).Status);
        Assert.Equal(OpStatus.OutputTooSmall, RunIv(driver, OpCode.Forward, session, new byte[32], capacity: 32 + tagSize - 1).Status);
    }

    [Fact]
    public void Cbc_functions_are_refused_as_pipeline_stages()
    {
        var error = Assert.Throws<ArgumentException>(() => GDriverCatalog.Create("deflate->aes-128-cbc"));
        Assert.Contains("pipeline stage", error.Message);
        foreach (var f in GDriverCatalog.Functions)
        {
            using var driver = GDriverCatalog.Create(f);
            Assert.Equal(f, driver.Function);
        }
    }
}
