using System.Security.Cryptography;
using Fabric.Dataplane.Channel;
using Fabric.Dataplane.Drivers;
using Fabric.Dataplane.Guest;
using static Fabric.Dataplane.Tests.TestSupport;

namespace Fabric.Dataplane.Tests.Security;

/// <summary>
/// Issue 14, item 1: an AEAD open whose tag fails never shows the guest its would-be plaintext, not even
/// for a moment. A second guest thread reads the output slot while forged opens run; it must only ever
/// see what was there before (zeros).
/// </summary>
public class UnverifiedPlaintextTests
{
    private const int Size = 200 * 1024; // under the pipelines' 256 KiB scratch
    private static readonly byte[] Key = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
    private static readonly byte[] Nonce = Enumerable.Range(1, 12).Select(i => (byte)(i * 3)).ToArray();

    [Theory]
    [InlineData("aes-256-gcm")]
    [InlineData("chacha20-poly1305")]
    [InlineData("aes-256-gcm->sha256")]
    [InlineData("hmac-sha256->deflate")]
    public void A_reader_racing_forged_opens_sees_no_plaintext(string function)
    {
        using var rig = new Rig(GDriverCatalog.Create(function), new ChannelGeometry(64, 64, 4, 2 * Size));
        var g = rig.Guest;
        var session = g.OpenSession(Key, 0, Patience);
        var otherKey = Key.Select(b => (byte)(b ^ 0xFF)).ToArray();
        var other = g.OpenSession(otherKey, 0, Patience);

        // Plaintext that is never zero anywhere, sealed under another key: a well-formed message whose check
        // (tag, HMAC) fails only after the transform ran over the whole body.
        var plaintext = g.Slot(1)[..Size];
        for (var i = 0; i < plaintext.Length; i++)
        {
            plaintext[i] = (byte)(1 + i % 251);
        }
        var seal = g.SubmitAndWait(Data(1, OpCode.Forward, other, 1, Size, 3, 2 * Size, nonce: Nonce), Patience);
        Assert.Equal(OpStatus.Ok, seal.Status);
        var forged = (int)seal.OutLength;
        g.Slot(3)[..forged].CopyTo(g.Slot(1));
        g.Slot(2).Clear();

        var seen = 0L;
        using var stop = new CancellationTokenSource();
        var reader = new Thread(() => seen = Watch(g, stop.Token)) { IsBackground = true };
        reader.Start();
        try
        {
            for (var i = 0; i < 200; i++)
            {
                var c = g.SubmitAndWait(Data((ulong)(10 + i), OpCode.Inverse, session, 1, forged, 2, 2 * Size, nonce: Nonce), Patience);
                Assert.Equal(OpStatus.AuthFailed, c.Status);
                Assert.Equal(0u, c.OutLength);
            }
        }
        finally
        {
            stop.Cancel();
            reader.Join();
        }
        Assert.True(seen == 0, $"the reader saw {seen} non-zero bytes of unverified output");
        Assert.True(g.Slot(2).IndexOfAnyExcept((byte)0) < 0, "the output slot holds bytes after failed opens");

        // Under its own key the message opens, and the plaintext arrives whole.
        var open = g.SubmitAndWait(Data(2, OpCode.Inverse, other, 1, forged, 2, 2 * Size, nonce: Nonce), Patience);
        Assert.Equal(OpStatus.Ok, open.Status);
        Assert.Equal((uint)Size, open.OutLength);
        for (var i = 0; i < Size; i += 4093)
        {
            Assert.Equal((byte)(1 + i % 251), g.Slot(2)[i]);
        }
    }

    /// <summary>Samples the output slot (a byte every 512) until told to stop; returns how many non-zero bytes it saw.</summary>
    private static long Watch(GuestChannel g, CancellationToken stop)
    {
        var slot = g.Slot(2);
        long seen = 0;
        while (!stop.IsCancellationRequested)
        {
            for (var i = 0; i < Size; i += 512)
            {
                if (Volatile.Read(ref slot[i]) != 0)
                {
                    seen++;
                }
            }
        }
        return seen;
    }

    [Fact]
    public void The_scratch_that_held_unverified_plaintext_is_wiped()
    {
        using var driver = new AesGcmDriver();
        Assert.Equal(OpStatus.Ok, driver.OpenSession(Key, out var session));
        var message = RandomNumberGenerator.GetBytes(4096);
        var sealedBytes = new byte[message.Length + AeadDriver.TagSize];
        var op = new DriverOp(OpCode.Forward, session, Nonce, 0, long.MaxValue);
        Assert.Equal(OpStatus.Ok, driver.Execute(op, message, sealedBytes, out _));
        sealedBytes[^1] ^= 1;
        var output = new byte[message.Length];
        Assert.Equal(OpStatus.AuthFailed, driver.Execute(op.WithCode(OpCode.Inverse), sealedBytes, output, out var written));
        Assert.Equal(0, written);
        Assert.True(output.AsSpan().IndexOfAnyExcept((byte)0) < 0);
        Assert.True(driver.ScratchForTests.IndexOfAnyExcept((byte)0) < 0, "the AC's scratch still holds the unverified plaintext");
        driver.CloseSession(session);
    }
}
