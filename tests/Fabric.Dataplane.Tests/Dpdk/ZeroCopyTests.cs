using Fabric.Dataplane.Channel;
using Fabric.Dataplane.Dpdk;
using Fabric.Dataplane.Drivers;
using Xunit.Abstractions;
using static Fabric.Dataplane.Tests.TestSupport;

namespace Fabric.Dataplane.Tests.Dpdk;

/// <summary>
/// Zero copy's edges: the arena registered and unregistered with the queue, the copy path for buffers outside it
/// (checked by the shim itself, not only by the AC), no unverified plaintext left behind, hostile descriptors.
/// </summary>
[Collection(DpdkCollection.Name)]
public sealed class ZeroCopyTests(DpdkFixture dpdk, ITestOutputHelper output)
{
    private static readonly byte[] Key = Drivers.KnownAnswerTests.RandomBytes(32, seed: 21);
    private static readonly byte[] Nonce = Drivers.KnownAnswerTests.RandomBytes(12, seed: 22);

    [Theory]
    [InlineData("crypto_aesni_gcm0", DpdkZeroCopy.Input)]
    [InlineData("crypto_aesni_mb0", DpdkZeroCopy.Full)]
    [InlineData("crypto_openssl0", DpdkZeroCopy.Full)]
    [InlineData(DpdkFixture.Scheduler, DpdkZeroCopy.Full)]
    public async Task A_queue_removed_and_added_again_registers_its_arena_again_and_stays_zero_copy(string pmd, DpdkZeroCopy mode)
    {
        using var reference = new AesGcmDriver();
        var referenceSession = Drivers.DriverHarness.Open(reference, Key);
        var engine = new Fabric.Dataplane.Engine.AccelerationEngine(QuickOptions());
        try
        {
            var drivers = new List<DpdkGDriver>();
            for (var round = 0; round < 3; round++)
            {
                var path = NewChannelPath();
                var channel = ChannelFile.Create(path, new ChannelGeometry(64, 64, 8, 64 * 1024));
                var driver = new DpdkGDriver(dpdk.Device(pmd), "aes-256-gcm", zeroCopy: mode, zeroCopyFrom: 0);
                drivers.Add(driver);
                await engine.AddQueue("q", channel, driver).WaitAsync(Patience);
                using (var guest = Fabric.Dataplane.Guest.GuestChannel.Open(path))
                {
                    var session = guest.OpenSession(Key, 0, Patience);
                    foreach (var size in new[] { 0, 64, 1024, 16 * 1024 })
                    {
                        var input = Drivers.KnownAnswerTests.RandomBytes(16 + size, seed: size + round);
                        input.CopyTo(guest.Slot(1));
                        var done = guest.SubmitAndWait(Data((ulong)size, OpCode.Forward, session, 1, input.Length, 2, 64 * 1024, 16, Nonce), Patience);
                        Assert.Equal(OpStatus.Ok, done.Status);
                        var expected = Drivers.DriverHarness.Run(reference, OpCode.Forward, referenceSession, input, Nonce, 16).Output;
                        Assert.Equal(expected, guest.Slot(2)[..(int)done.OutLength].ToArray());
                    }
                }
                Assert.True(driver.ZeroCopyActive, driver.ZeroCopyProblem);
                Assert.Equal(4, driver.ZeroCopyOps);
                // Removal disposes the driver (its queue pair drained, the arena unregistered) before the channel is unmapped.
                await engine.RemoveQueueAsync("q", TimeSpan.FromSeconds(5)).WaitAsync(Patience);
                Assert.False(driver.ZeroCopyActive);
            }
            output.WriteLine($"{pmd} {mode}: 3 queues added and removed, {string.Join(", ", drivers.Select(d => d.ZeroCopyOps))} ops zero copy; {dpdk.Device(pmd).ZeroCopy}");
        }
        finally
        {
            engine.Dispose();
            reference.CloseSession(referenceSession);
        }
    }

    [Theory]
    [InlineData("crypto_aesni_gcm0")]
    [InlineData("crypto_aesni_mb0")]
    [InlineData("crypto_openssl0")]
    public unsafe void Buffers_outside_the_registered_arena_are_copied_and_still_right(string pmd)
    {
        using var arena = new ArenaRunner();
        using var driver = arena.Make(dpdk.Device(pmd), "aes-256-gcm", DpdkZeroCopy.Full);
        using var reference = new AesGcmDriver();
        var session = Drivers.DriverHarness.Open(driver, Key);
        var input = Drivers.KnownAnswerTests.RandomBytes(64, seed: 3);
        var expected = Drivers.DriverHarness.Run(reference, OpCode.Forward, Drivers.DriverHarness.Open(reference, Key), input, Nonce).Output;

        // Arrays (a direct caller): the copy path.
        var onArrays = Drivers.DriverHarness.Run(driver, OpCode.Forward, session, input, Nonce);
        Assert.Equal(expected, onArrays.Output);
        Assert.Equal(0, driver.ZeroCopyOps);

        // An input that starts 32 bytes before the arena (in the channel's completion ring): the shim's own range check
        // refuses zero copy, whatever the caller claims, and copies.
        var straddling = new Span<byte>((void*)(arena.Arena.Arena - 32), input.Length);
        input.CopyTo(straddling);
        var op = new DriverOp(OpCode.Forward, session, Nonce, 0, System.Diagnostics.Stopwatch.GetTimestamp() + System.Diagnostics.Stopwatch.Frequency * 10);
        Assert.Equal(OpStatus.Ok, driver.Execute(op, straddling, arena.Output[..1024], out var written));
        Assert.Equal(expected, arena.Output[..written].ToArray());
        Assert.Equal(0, driver.ZeroCopyOps);

        // Both in the arena: zero copy.
        var inArena = arena.Run(driver, OpCode.Forward, session, input, Nonce);
        Assert.Equal(expected, inArena.Output);
        Assert.Equal(1, driver.ZeroCopyOps);
        driver.CloseSession(session);
    }

    [Theory]
    [InlineData(DpdkZeroCopy.Input)]
    [InlineData(DpdkZeroCopy.Full)]
    public void By_default_ops_below_the_threshold_are_copied_and_larger_ones_go_zero_copy(DpdkZeroCopy mode)
    {
        using var arena = new ArenaRunner();
        using var driver = new DpdkGDriver(dpdk.Device("crypto_aesni_gcm0"), "aes-256-gcm", zeroCopy: mode);
        driver.UseArena(arena.Channel.LeaseArena());
        Assert.True(driver.ZeroCopyActive);
        Assert.Equal(DpdkGDriver.DefaultZeroCopyFrom, driver.ZeroCopyFrom);
        using var reference = new AesGcmDriver();
        var session = Drivers.DriverHarness.Open(driver, Key);
        var referenceSession = Drivers.DriverHarness.Open(reference, Key);
        var copied = 0;
        foreach (var size in new[] { 64, DpdkGDriver.DefaultZeroCopyFrom - 1, DpdkGDriver.DefaultZeroCopyFrom, 16 * 1024 })
        {
            var input = Drivers.KnownAnswerTests.RandomBytes(size, seed: size);
            var expected = Drivers.DriverHarness.Run(reference, OpCode.Forward, referenceSession, input, Nonce).Output;
            var before = driver.ZeroCopyOps;
            var sealed_ = arena.Run(driver, OpCode.Forward, session, input, Nonce);
            Assert.Equal(OpStatus.Ok, sealed_.Status);
            Assert.Equal(expected, sealed_.Output);
            var zeroCopied = driver.ZeroCopyOps - before;
            Assert.Equal(size >= DpdkGDriver.DefaultZeroCopyFrom ? 1 : 0, zeroCopied);
            copied += 1 - (int)zeroCopied;
        }
        Assert.Equal(2, copied);
        driver.CloseSession(session);
    }

    [Fact]
    public unsafe void A_driver_keeps_its_channel_mapped_until_it_is_disposed()
    {
        // A replaced driver may be disposed (its queue pair drained: the device reads the guest's slots) after its
        // queue and channel are gone; the lease it holds keeps the memory mapped until then.
        var arena = new ArenaRunner();
        var driver = arena.Make(dpdk.Device("crypto_aesni_gcm0"), "aes-256-gcm", DpdkZeroCopy.Full);
        var session = Drivers.DriverHarness.Open(driver, Key);
        var input = Drivers.KnownAnswerTests.RandomBytes(1024, seed: 11);
        var before = arena.Run(driver, OpCode.Forward, session, input, Nonce);
        arena.Dispose(); // the channel unmapped and deleted, as the AC does after removing the queue
        var again = arena.Run(driver, OpCode.Forward, session, input, Nonce); // still mapped: the lease
        Assert.Equal(OpStatus.Ok, again.Status);
        Assert.Equal(before.Output, again.Output);
        Assert.Equal(2, driver.ZeroCopyOps);
        driver.CloseSession(session);
        driver.Dispose();
        Assert.False(driver.ZeroCopyActive);
    }

    [Theory]
    [InlineData("crypto_aesni_gcm0", DpdkZeroCopy.Full)]
    [InlineData("crypto_aesni_mb0", DpdkZeroCopy.Full)]
    [InlineData("crypto_openssl0", DpdkZeroCopy.Full)]
    [InlineData("crypto_aesni_gcm0", DpdkZeroCopy.Input)]
    public void An_open_that_fails_its_tag_leaves_no_plaintext_in_the_guest_output_slot(string pmd, DpdkZeroCopy mode)
    {
        using var arena = new ArenaRunner();
        using var driver = arena.Make(dpdk.Device(pmd), "aes-256-gcm", mode);
        var session = Drivers.DriverHarness.Open(driver, Key);
        var plaintext = Drivers.KnownAnswerTests.RandomBytes(4096, seed: 4);
        var sealedOut = arena.Run(driver, OpCode.Forward, session, plaintext, Nonce);
        Assert.Equal(OpStatus.Ok, sealedOut.Status);
        var forged = sealedOut.Output;
        forged[^1] ^= 1;
        var opened = arena.Run(driver, OpCode.Inverse, session, forged, Nonce);
        Assert.Equal(OpStatus.AuthFailed, opened.Status);
        var slot = arena.Output[..plaintext.Length].ToArray();
        // Full: the device decrypted into the slot, the shim wiped it; Input: the slot was never written (0xEE).
        Assert.All(slot, b => Assert.Equal(mode == DpdkZeroCopy.Full ? 0 : 0xEE, b));
        Assert.Equal(1, driver.ZeroCopyOps); // the seal; a failed op is not counted
        driver.CloseSession(session);
    }

    [Fact]
    public void A_hostile_guest_gets_errors_for_descriptors_outside_the_arena_and_the_queue_goes_on_zero_copy()
    {
        var driver = new DpdkGDriver(dpdk.Device("crypto_aesni_mb0"), "aes-256-gcm", zeroCopy: DpdkZeroCopy.Full, zeroCopyFrom: 0);
        using var rig = new Rig(driver, new ChannelGeometry(64, 64, 8, 4096));
        var g = rig.Guest;
        var session = g.OpenSession(Key, 0, Patience);
        SubmissionDescriptor[] hostile =
        [
            Data(1, OpCode.Forward, session, 8, 16, 2, 4096, nonce: Nonce),              // no slot 8
            Data(2, OpCode.Forward, session, 1, 16, 9999, 4096, nonce: Nonce),           // no slot 9999
            Data(3, OpCode.Forward, session, 1, 4097, 2, 4096, nonce: Nonce),            // longer than a slot
            Data(4, OpCode.Forward, session, 1, 16, 2, 8192, nonce: Nonce),              // output past its slot
            Data(5, OpCode.Forward, session, 7, 4096, 2, 4096, 4097, Nonce),             // AAD longer than the input
            Data(6, OpCode.Forward, session, int.MaxValue, 16, 2, 4096, nonce: Nonce),
        ];
        foreach (var d in hostile)
        {
            var done = g.SubmitAndWait(d, Patience);
            output.WriteLine($"tag {d.Tag}: {done.Status}");
            Assert.NotEqual(OpStatus.Ok, done.Status);
        }
        var input = Drivers.KnownAnswerTests.RandomBytes(1000, seed: 9);
        input.CopyTo(g.Slot(1));
        var good = g.SubmitAndWait(Data(7, OpCode.Forward, session, 1, input.Length, 2, 4096, nonce: Nonce), Patience);
        Assert.Equal(OpStatus.Ok, good.Status);
        using var reference = new AesGcmDriver();
        Assert.Equal(Drivers.DriverHarness.Run(reference, OpCode.Forward, Drivers.DriverHarness.Open(reference, Key), input, Nonce).Output, g.Slot(2)[..(int)good.OutLength].ToArray());
        Assert.Equal(1, driver.ZeroCopyOps);
    }
}
