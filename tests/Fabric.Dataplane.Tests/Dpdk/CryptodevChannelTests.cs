using Fabric.Dataplane.Channel;
using Fabric.Dataplane.Dpdk;
using Fabric.Dataplane.Drivers;
using Xunit.Abstractions;
using static Fabric.Dataplane.Tests.TestSupport;

namespace Fabric.Dataplane.Tests.Dpdk;

/// <summary>The DPDK driver behind a real channel: an AC worker (a .NET thread, not an EAL lcore) drives the queue pair.</summary>
[Collection(DpdkCollection.Name)]
public class CryptodevChannelTests(DpdkFixture dpdk, ITestOutputHelper output)
{
    [Theory]
    [InlineData("crypto_openssl0", DpdkZeroCopy.Input)]
    [InlineData("crypto_aesni_gcm0", DpdkZeroCopy.Input)]
    [InlineData("crypto_openssl0", DpdkZeroCopy.Full)]
    [InlineData("crypto_aesni_gcm0", DpdkZeroCopy.Full)]
    [InlineData("crypto_aesni_mb0", DpdkZeroCopy.Full)]
    [InlineData("crypto_aesni_gcm0", DpdkZeroCopy.Off)]
    public void Bursts_keep_many_ops_in_the_device_and_come_back_in_order_equal_to_the_NET_driver_without_allocating(string pmd, DpdkZeroCopy mode)
    {
        var driver = new DpdkGDriver(dpdk.Device(pmd), "aes-256-gcm", zeroCopy: mode, zeroCopyFrom: 0);
        using var rig = new Rig(driver, new ChannelGeometry(256, 256, 42, 4096));
        using var reference = new AesGcmDriver();
        var g = rig.Guest;
        var key = Drivers.KnownAnswerTests.RandomBytes(32, seed: 7);
        var session = g.OpenSession(key, 0, Patience);
        var referenceSession = Drivers.DriverHarness.Open(reference, key);
        var nonce = Drivers.KnownAnswerTests.RandomBytes(12, seed: 8);
        var inputs = new byte[8][];
        for (var i = 0; i < inputs.Length; i++)
        {
            inputs[i] = Drivers.KnownAnswerTests.RandomBytes(100 + 300 * i, seed: 10 + i);
            inputs[i].CopyTo(g.Slot(1 + i));
        }
        var expected = inputs.Select(input => Drivers.DriverHarness.Run(reference, OpCode.Forward, referenceSession, input, nonce, 0).Output).ToArray();
        var batch = new SubmissionDescriptor[32];
        var completions = new CompletionEntry[32];

        long Round(ulong tagBase)
        {
            for (var i = 0; i < batch.Length; i++)
            {
                batch[i] = Data(tagBase + (ulong)i, OpCode.Forward, session, 1 + i % 8, inputs[i % 8].Length, 9 + i, 4096, nonce: nonce);
            }
            Assert.Equal(batch.Length, g.SubmitBatch(batch));
            var got = 0;
            while (got < batch.Length)
            {
                var n = g.Wait(completions.AsSpan(0, batch.Length - got), Patience);
                Assert.True(n > 0, "no completion within the timeout");
                for (var i = 0; i < n; i++, got++)
                {
                    Assert.Equal(tagBase + (ulong)got, completions[i].Tag);
                    Assert.Equal(OpStatus.Ok, completions[i].Status);
                }
            }
            return got;
        }

        Round(0);
        for (var i = 0; i < batch.Length; i++)
        {
            Assert.Equal(expected[i % 8], g.Slot(9 + i)[..expected[i % 8].Length].ToArray());
        }
        for (ulong r = 1; r < 20; r++)
        {
            Round(r * 100);
        }
        var loops = rig.Engine.Workers[0].Loops;
        Until(() => rig.Engine.Workers[0].Loops >= loops + 2, "the worker to loop");
        var before = rig.Engine.Workers[0].AllocatedBytes;
        for (ulong r = 20; r < 120; r++)
        {
            Round(r * 100);
        }
        loops = rig.Engine.Workers[0].Loops;
        Until(() => rig.Engine.Workers[0].Loops >= loops + 2, "the worker to loop");
        var allocated = rig.Engine.Workers[0].AllocatedBytes - before;
        output.WriteLine($"{pmd}: peak {driver.PeakInFlight} ops in flight, worker allocated {allocated} B over 3200 ops, {driver.ZeroCopyOps} ops zero copy ({driver.ZeroCopyMode}; device: {driver.Device.ZeroCopy})");
        Assert.Equal(mode != DpdkZeroCopy.Off, driver.ZeroCopyActive);
        Assert.Equal(mode != DpdkZeroCopy.Off ? 120 * 32 : 0, driver.ZeroCopyOps);
        Assert.True(driver.PeakInFlight > 1, $"the device never held more than {driver.PeakInFlight} op: the driver is not asynchronous");
        Assert.True(allocated < 1024, $"worker allocated {allocated} B over 3200 ops");
        reference.CloseSession(referenceSession);
    }

    [Fact]
    public void A_guest_seals_and_opens_through_an_AC_queue_served_by_the_openssl_PMD()
    {
        var driver = new CryptodevAesGcmDriver(dpdk.Device("crypto_openssl0"));
        using var rig = new Rig(driver, new ChannelGeometry(64, 64, 8, 64 * 1024));
        using var reference = new AesGcmDriver();
        var g = rig.Guest;
        var key = Drivers.KnownAnswerTests.RandomBytes(32, seed: 5);
        var session = g.OpenSession(key, 0, Patience);
        var referenceSession = Drivers.DriverHarness.Open(reference, key);
        var nonce = Drivers.KnownAnswerTests.RandomBytes(12, seed: 6);
        foreach (var size in new[] { 0, 64, 1024, 16 * 1024 })
        {
            const int Aad = 8;
            var input = Drivers.KnownAnswerTests.RandomBytes(Aad + size, seed: size);
            input.CopyTo(g.Slot(1));
            var sealedDone = g.SubmitAndWait(Data((ulong)size, OpCode.Forward, session, 1, input.Length, 2, 64 * 1024, Aad, nonce), Patience);
            Assert.Equal(OpStatus.Ok, sealedDone.Status);
            var expected = Drivers.DriverHarness.Run(reference, OpCode.Forward, referenceSession, input, nonce, Aad).Output;
            Assert.Equal(expected, g.Slot(2)[..(int)sealedDone.OutLength].ToArray());

            input.AsSpan(0, Aad).CopyTo(g.Slot(3));
            expected.CopyTo(g.Slot(3)[Aad..]);
            var openedDone = g.SubmitAndWait(Data((ulong)size + 1, OpCode.Inverse, session, 3, Aad + expected.Length, 4, 64 * 1024, Aad, nonce), Patience);
            Assert.Equal(OpStatus.Ok, openedDone.Status);
            Assert.Equal(input.AsSpan(Aad).ToArray(), g.Slot(4)[..(int)openedDone.OutLength].ToArray());
        }
        reference.CloseSession(referenceSession);
    }
}
