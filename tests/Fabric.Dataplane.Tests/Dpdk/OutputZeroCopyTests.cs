using Fabric.Dataplane.Channel;
using Fabric.Dataplane.Dpdk;
using Fabric.Dataplane.Drivers;
using Fabric.Dataplane.Engine;
using Fabric.Dataplane.Tests.Drivers;
using Xunit.Abstractions;
using static Fabric.Dataplane.Tests.TestSupport;

namespace Fabric.Dataplane.Tests.Dpdk;

/// <summary>
/// The default zero copy (<see cref="DpdkZeroCopy.Auto"/>): a software PMD writes a seal's output straight into the
/// guest's slot, and an op the AC gave up on is never written there afterwards, even by a device that starts
/// completing again (the driver points it at a scratch buffer first: <see cref="DpdkGDriver.Forgotten"/>).
/// </summary>
[Collection(DpdkCollection.Name)]
public sealed class OutputZeroCopyTests(DpdkFixture dpdk, ITestOutputHelper output)
{
    private static readonly byte[] Key = KnownAnswerTests.RandomBytes(32, seed: 41);
    private static readonly byte[] Nonce = KnownAnswerTests.RandomBytes(12, seed: 42);
    private const int SlotSize = 4096;

    [Theory]
    [InlineData("crypto_aesni_gcm0")]
    [InlineData("crypto_aesni_mb0")]
    [InlineData("crypto_openssl0")]
    public void By_default_a_software_pmd_seals_into_the_guest_slot_and_opens_through_an_mbuf(string pmd)
    {
        var device = dpdk.Device(pmd);
        Assert.True(device.WorksInCallersThread, $"{device.DriverName} is a software PMD");
        var driver = new DpdkGDriver(device, "aes-256-gcm");
        Assert.Equal(DpdkZeroCopy.Auto, driver.ZeroCopyMode);
        using var rig = new Rig(driver, new ChannelGeometry(64, 64, 8, SlotSize));
        using var reference = new AesGcmDriver();
        var g = rig.Guest;
        var session = g.OpenSession(Key, 0, Patience);
        var input = KnownAnswerTests.RandomBytes(2048, seed: 43);
        input.CopyTo(g.Slot(1));
        var sealedDone = g.SubmitAndWait(Data(1, OpCode.Forward, session, 1, input.Length, 2, SlotSize, nonce: Nonce), Patience);
        Assert.Equal(OpStatus.Ok, sealedDone.Status);
        var expected = DriverHarness.Run(reference, OpCode.Forward, DriverHarness.Open(reference, Key), input, Nonce).Output;
        Assert.Equal(expected, g.Slot(2)[..(int)sealedDone.OutLength].ToArray());

        var opened = g.SubmitAndWait(Data(2, OpCode.Inverse, session, 2, (int)sealedDone.OutLength, 4, SlotSize, nonce: Nonce), Patience);
        Assert.Equal(OpStatus.Ok, opened.Status);
        Assert.Equal(input, g.Slot(4)[..(int)opened.OutLength].ToArray());
        // Both read the guest's input in place; only the seal's output was written by the device itself.
        Assert.Equal(2, driver.ZeroCopyOps);
        Assert.Equal(1, driver.OutputZeroCopyOps);

        // A forged open: the output lands in an mbuf, so the guest's slot is never written with unverified plaintext.
        g.Slot(2)[16] ^= 1;
        g.Slot(3).Fill(0xEE);
        var forged = g.SubmitAndWait(Data(3, OpCode.Inverse, session, 2, (int)sealedDone.OutLength, 3, SlotSize, nonce: Nonce), Patience);
        Assert.Equal(OpStatus.AuthFailed, forged.Status);
        Assert.All(g.Slot(3).ToArray(), b => Assert.Equal(0xEE, b));
        output.WriteLine($"{pmd}: {device.ZeroCopy}");
    }

    [Theory]
    [InlineData(DpdkZeroCopy.Auto)]
    [InlineData(DpdkZeroCopy.Full)]
    [InlineData(DpdkZeroCopy.Input)]
    public void A_seal_given_up_at_its_deadline_is_never_written_into_the_slot_the_guest_reused(DpdkZeroCopy mode)
    {
        var inner = new DpdkGDriver(dpdk.Device("crypto_aesni_gcm0"), "aes-256-gcm", zeroCopy: mode, zeroCopyFrom: 0);
        var device = new FaultInjectingAsyncDriver(inner);
        using var rig = new Rig(device, new ChannelGeometry(64, 64, 8, SlotSize), queue: new QueueOptions { OpDeadline = TimeSpan.FromMilliseconds(200) });
        var g = rig.Guest;
        var session = g.OpenSession(Key, 0, Patience);
        var input = KnownAnswerTests.RandomBytes(1024, seed: 44);
        input.CopyTo(g.Slot(1));

        // The device takes the seal and hands nothing back (a software PMD does its work in the dequeue that never comes).
        device.Arm(FaultInjectingAsyncDriver.Fault.StopCompleting);
        var given = g.SubmitAndWait(Data(1, OpCode.Forward, session, 1, input.Length, 2, SlotSize, nonce: Nonce), Patience);
        Assert.Equal(OpStatus.DeadlineExceeded, given.Status);

        // The guest reuses the slot at once, and the device comes back; the next op makes the AC poll it again.
        g.Slot(2).Fill(0x5A);
        device.Arm(FaultInjectingAsyncDriver.Fault.None);
        var next = g.SubmitAndWait(Data(2, OpCode.Forward, session, 1, input.Length, 3, SlotSize, nonce: Nonce), Patience);

        Assert.All(g.Slot(2).ToArray(), b => Assert.Equal(0x5A, b));
        // The queue pair goes on serving: the given-up op ran on a scratch buffer (output zero copy) or an mbuf (Input).
        Assert.Equal(OpStatus.Ok, next.Status);
        using var reference = new AesGcmDriver();
        var expected = DriverHarness.Run(reference, OpCode.Forward, DriverHarness.Open(reference, Key), input, Nonce).Output;
        Assert.Equal(expected, g.Slot(3)[..(int)next.OutLength].ToArray());
        Assert.Equal(mode == DpdkZeroCopy.Input ? 0 : 1, inner.Forgotten);
        output.WriteLine($"{mode}: the given-up op's slot kept the guest's bytes; next op {next.Status}");
    }
}
