using System.Security.Cryptography;
using Fabric.Dataplane.Channel;
using Fabric.Dataplane.Drivers;
using Fabric.Dataplane.Tests.Dpdk;
using static Fabric.Dataplane.Tests.Drivers.AesCbcKnownAnswerTests;
using static Fabric.Dataplane.Tests.Drivers.DriverHarness;
using static Fabric.Dataplane.Tests.Vhost.VirtioCrypto;

namespace Fabric.Dataplane.Tests.Vhost;

/// <summary>
/// The vhost backend's data path driven by the test guest (guest memory, virtqueue, descriptor chains) on two DPDK
/// PMDs: NIST SP 800-38A F.2 through virtio-crypto cipher sessions, AES-CBC + HMAC chains checked against the
/// openssl CLI and Fabric's .NET g-driver, and chains validated like the cipher path.
/// </summary>
[Collection(DpdkCollection.Name)]
public class VhostDataPathTests(DpdkFixture dpdk)
{
    [Theory]
    [InlineData("crypto_aesni_mb")]
    [InlineData("crypto_openssl")]
    public void SP800_38A_F2_vectors_pass_through_the_cryptodev_session_path(string pmd)
    {
        using var rig = new VhostRig(dpdk, pmd);
        using var guest = rig.Guest();
        foreach (var (key, ciphertext) in new[] { (Key128, Ciphertext128), (Key192, Ciphertext192), (Key256, Ciphertext256) })
        {
            var enc = guest.CreateSession(Hex(key), direction: 1);
            var dec = guest.CreateSession(Hex(key), direction: 2);
            Assert.True(enc >= 0 && dec >= 0, $"{pmd}: sessions refused ({enc}, {dec})");
            var sealedOut = Run(rig, guest, enc, Encrypt, Hex(Iv), Hex(Plaintext));
            Assert.Equal(StatusOk, sealedOut.Status);
            Assert.Equal(ciphertext, Convert.ToHexStringLower(sealedOut.Data));
            Assert.Equal(65u, sealedOut.UsedLength);
            var opened = Run(rig, guest, dec, Decrypt, Hex(Iv), Hex(ciphertext));
            Assert.Equal(StatusOk, opened.Status);
            Assert.Equal(Plaintext, Convert.ToHexStringLower(opened.Data));
        }
        var stats = rig.Stats();
        Assert.Equal(6ul, stats.Completed);
        Assert.Equal(0ul, stats.Failed);
    }

    // Tags: `openssl enc -aes-N-cbc -nopad | openssl dgst -sha1|-sha256 -mac HMAC` over the whole ciphertext.
    [Theory]
    [InlineData("crypto_aesni_mb", Key128, Ciphertext128, 2u, "a93ca10bd80536504cceccc78016185075114cd4", "aes-128-cbc-hmac-sha1")]
    [InlineData("crypto_aesni_mb", Key256, Ciphertext256, 4u, "9b7e71da76c62e4d72149987508bc3920f6827415da85740fdfec13746fdf465", "aes-256-cbc-hmac-sha256")]
    [InlineData("crypto_openssl", Key128, Ciphertext128, 2u, "a93ca10bd80536504cceccc78016185075114cd4", "aes-128-cbc-hmac-sha1")]
    public void Cipher_then_HMAC_chains_match_openssl_and_the_dotnet_g_driver(string pmd, string key, string ciphertext, uint mac, string tag, string function)
    {
        using var rig = new VhostRig(dpdk, pmd);
        using var guest = rig.Guest();
        var digest = (uint)tag.Length / 2;
        var enc = guest.CreateSession(Hex(key), direction: 1, opType: 2, mac: mac, digest: digest, macKey: Hex(MacKey));
        var dec = guest.CreateSession(Hex(key), direction: 2, opType: 2, mac: mac, digest: digest, macKey: Hex(MacKey));
        Assert.True(enc >= 0 && dec >= 0, $"{pmd}: chain sessions refused ({enc}, {dec})");

        var whole = new Chain(0, 64, 0, 64, digest);
        var sealedOut = Run(rig, guest, enc, Encrypt, Hex(Iv), Hex(Plaintext), whole);
        Assert.Equal(StatusOk, sealedOut.Status);
        Assert.Equal(ciphertext, Convert.ToHexStringLower(sealedOut.Data));
        Assert.Equal(tag, Convert.ToHexStringLower(sealedOut.Hash));
        Assert.Equal(64u + digest + 1, sealedOut.UsedLength);

        // Decrypting: the guest puts the expected MAC in hash_result; it is checked over the ciphertext first.
        var opened = Run(rig, guest, dec, Decrypt, Hex(Iv), Hex(ciphertext), whole, Hex(tag));
        Assert.Equal(StatusOk, opened.Status);
        Assert.Equal(Plaintext, Convert.ToHexStringLower(opened.Data));
        Assert.Equal(tag, Convert.ToHexStringLower(opened.Hash));
        var forged = Hex(tag);
        forged[3] ^= 0x10;
        var refused = Run(rig, guest, dec, Decrypt, Hex(Iv), Hex(ciphertext), whole, forged);
        Assert.Equal(StatusBadMsg, refused.Status);
        Assert.All(refused.Data, b => Assert.Equal(0xee, b)); // no plaintext of a forged request

        // The same bytes from Fabric's .NET g-driver: a request either side could serve (failover by design).
        using var driver = GDriverCatalog.Create(function);
        var session = Open(driver, Hex(key + MacKey));
        var output = new byte[128];
        var status = driver.Execute(new DriverOp(OpCode.Forward, session, new byte[12], 0, long.MaxValue, 0, Hex(Iv)), Hex(Plaintext), output, out var written);
        Assert.Equal(OpStatus.Ok, status);
        Assert.Equal(ciphertext + tag, Convert.ToHexStringLower(output.AsSpan(0, written)));

        // Regions inside the source: a 16-byte clear prefix, cipher over blocks 2..3, MAC over prefix || ciphertext.
        var prefix = RandomNumberGenerator.GetBytes(16);
        var partial = Run(rig, guest, enc, Encrypt, Hex(Iv), [.. prefix, .. Hex(Plaintext)[..32], .. new byte[16]], new Chain(16, 32, 0, 48, digest));
        Assert.Equal(StatusOk, partial.Status);
        Assert.Equal(prefix, partial.Data[..16]);
        Assert.Equal(ciphertext[..64], Convert.ToHexStringLower(partial.Data[16..48]));
        Assert.Equal(new byte[16], partial.Data[48..]);
        var expected = mac == 2 ? HMACSHA1.HashData(Hex(MacKey), partial.Data[..48]) : HMACSHA256.HashData(Hex(MacKey), partial.Data[..48]);
        Assert.Equal(expected, partial.Hash);
    }

    [Fact]
    public void Chain_sessions_and_requests_are_validated_like_the_cipher_path()
    {
        using var rig = new VhostRig(dpdk);
        using var guest = rig.Guest();
        var key = Hex(Key128);
        var macKey = Hex(MacKey);
        // Sessions: orders other than encrypt-then-MAC, a digest length the MAC does not make, no MAC key, AAD: BADMSG;
        // a plain hash or an unknown MAC: NOTSUPP.
        Assert.Equal(-2, guest.CreateSession(key, 1, opType: 2, mac: 2, digest: 20, macKey: macKey, order: 1));
        Assert.Equal(-2, guest.CreateSession(key, 2, opType: 2, mac: 2, digest: 20, macKey: macKey, order: 2));
        Assert.Equal(-2, guest.CreateSession(key, 1, opType: 2, mac: 2, digest: 21, macKey: macKey));
        Assert.Equal(-2, guest.CreateSession(key, 1, opType: 2, mac: 4, digest: 20, macKey: macKey));
        Assert.Equal(-2, guest.CreateSession(key, 1, opType: 2, mac: 2, digest: 20, macKey: []));
        Assert.Equal(-2, guest.CreateSession(key, 1, opType: 2, mac: 2, digest: 20, macKey: macKey, aad: 8));
        Assert.Equal(-3, guest.CreateSession(key, 1, opType: 2, mac: 2, digest: 20, macKey: macKey, hashMode: 1));
        Assert.Equal(-3, guest.CreateSession(key, 1, opType: 2, mac: 1, digest: 16, macKey: macKey)); // HMAC-MD5
        Assert.Equal(-2, guest.CreateSession(new byte[20], 1, opType: 2, mac: 2, digest: 20, macKey: macKey));

        var chain = guest.CreateSession(key, 1, opType: 2, mac: 2, digest: 20, macKey: macKey);
        var cipher = guest.CreateSession(key, 1);
        Assert.True(chain >= 0 && cipher >= 0);
        var data = new byte[64];
        var iv = new byte[16];
        // Requests: a chain request on a cipher session and back, regions outside the source, a cipher length that is
        // not whole blocks, a hash_result the session does not make, AAD: error status, never a device op.
        Assert.Equal(StatusBadMsg, Run(rig, guest, cipher, Encrypt, iv, data, new Chain(0, 64, 0, 64, 20)).Status);
        Assert.Equal(StatusBadMsg, Run(rig, guest, chain, Encrypt, iv, data).Status);
        Assert.Equal(StatusBadMsg, Run(rig, guest, chain, Encrypt, iv, data, new Chain(16, 64, 0, 64, 20)).Status);
        Assert.Equal(StatusBadMsg, Run(rig, guest, chain, Encrypt, iv, data, new Chain(0, 64, 1, 64, 20)).Status);
        Assert.Equal(StatusBadMsg, Run(rig, guest, chain, Encrypt, iv, data, new Chain(0, 64, 0xffff_fff0, 0x20, 20)).Status);
        Assert.Equal(StatusBadMsg, Run(rig, guest, chain, Encrypt, iv, data, new Chain(0, 24, 0, 64, 20)).Status);
        Assert.Equal(StatusBadMsg, Run(rig, guest, chain, Encrypt, iv, data, new Chain(0, 0, 0, 64, 20)).Status);
        Assert.Equal(StatusBadMsg, Run(rig, guest, chain, Encrypt, iv, data, new Chain(0, 64, 0, 64, 16)).Status);
        Assert.Equal(StatusBadMsg, Run(rig, guest, chain, Decrypt, iv, data, new Chain(0, 64, 0, 64, 20)).Status); // wrong direction
        Assert.Equal(StatusNotSupp, Run(rig, guest, chain, Encrypt, iv, data, new Chain(0, 64, 0, 64, 20, Aad: 8)).Status);
        Assert.Equal(StatusInvSess, Run(rig, guest, 999, Encrypt, iv, data, new Chain(0, 64, 0, 64, 20)).Status);
        var ok = Run(rig, guest, chain, Encrypt, iv, data, new Chain(0, 64, 0, 64, 20));
        Assert.Equal(StatusOk, ok.Status);
        var stats = rig.Stats();
        Assert.Equal(12ul, stats.Completed);
        Assert.Equal(11ul, stats.Failed);
        Assert.Equal(9ul, stats.SessionsRefused);
    }
}
