using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using Fabric.Dataplane.Channel;
using Fabric.Dataplane.Drivers;
using Fabric.Dataplane.Pipeline;
using static Fabric.Dataplane.Tests.Drivers.DriverHarness;

namespace Fabric.Dataplane.Tests.Drivers;

public class PipelineTests
{
    private static readonly byte[] Key = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
    private static readonly byte[] Nonce = Hex("000102030405060708090a0b");

    [Fact]
    public void Deflate_aes_sha256_output_is_the_sealed_compressed_data_followed_by_its_digest()
    {
        using var pipeline = (PipelineDriver)GDriverCatalog.Create("deflate->aes-256-gcm->sha256");
        Assert.Equal("deflate->aes-256-gcm->sha256", pipeline.Function);
        var session = Open(pipeline, Key);
        var text = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("sphinx of black quartz, judge my vow. ", 400)));

        var result = Run(pipeline, OpCode.Forward, session, text, Nonce);
        Assert.Equal(OpStatus.Ok, result.Status);

        // Check each layer with the BCL, independently of the drivers.
        var sealedPart = result.Output[..^32];
        Assert.Equal(SHA256.HashData(sealedPart), result.Output[^32..]);
        var compressed = new byte[sealedPart.Length - 16];
        using (var aes = new AesGcm(Key, 16))
        {
            aes.Decrypt(Nonce, sealedPart[..^16], sealedPart[^16..], compressed);
        }
        using var inflate = new DeflateStream(new MemoryStream(compressed), CompressionMode.Decompress);
        var back = new MemoryStream();
        inflate.CopyTo(back);
        Assert.Equal(text, back.ToArray());

        // And the inverse pipeline undoes it.
        var inverse = Run(pipeline, OpCode.Inverse, session, result.Output, Nonce);
        Assert.Equal(OpStatus.Ok, inverse.Status);
        Assert.Equal(text, inverse.Output);
    }

    [Fact]
    public void Inverse_pipeline_detects_a_corrupted_blob()
    {
        using var pipeline = GDriverCatalog.Create("deflate->aes-256-gcm->sha256");
        var session = Open(pipeline, Key);
        var result = Run(pipeline, OpCode.Forward, session, KnownAnswerTests.RandomBytes(5000), Nonce);
        var blob = result.Output;
        blob[10] ^= 0x01;
        Assert.Equal(OpStatus.AuthFailed, Run(pipeline, OpCode.Inverse, session, blob, Nonce).Status);
    }

    [Fact]
    public void Digest_first_pipeline_appends_the_digest_before_compressing()
    {
        using var pipeline = GDriverCatalog.Create("crc32c->deflate");
        var data = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("abcdef", 500)));
        var result = Run(pipeline, OpCode.Forward, null, data);
        Assert.Equal(OpStatus.Ok, result.Status);
        using var inflate = new DeflateStream(new MemoryStream(result.Output), CompressionMode.Decompress);
        var back = new MemoryStream();
        inflate.CopyTo(back);
        var plain = back.ToArray();
        Assert.Equal(data, plain[..^4]);
        Assert.Equal(Crc32C.Compute(data), BitConverter.ToUInt32(plain, plain.Length - 4));
        var inverse = Run(pipeline, OpCode.Inverse, null, result.Output);
        Assert.Equal(OpStatus.Ok, inverse.Status);
        Assert.Equal(data, inverse.Output);
    }

    [Fact]
    public void A_pipeline_with_a_keyed_stage_needs_a_session_and_a_good_key()
    {
        using var pipeline = GDriverCatalog.Create("deflate->aes-256-gcm");
        Assert.True(pipeline.RequiresSession);
        Assert.Equal(OpStatus.BadKey, pipeline.OpenSession(new byte[7], out _));
        Assert.Equal(OpStatus.BadSession, Run(pipeline, OpCode.Forward, null, new byte[10]).Status);
    }

    [Fact]
    public void Unknown_functions_are_refused_with_the_known_list()
    {
        var error = Assert.Throws<ArgumentException>(() => GDriverCatalog.Create("deflate->rot13"));
        Assert.Contains("aes-256-gcm", error.Message);
    }
}
