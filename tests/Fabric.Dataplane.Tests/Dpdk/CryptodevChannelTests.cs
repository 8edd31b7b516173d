using Fabric.Dataplane.Channel;
using Fabric.Dataplane.Dpdk;
using Fabric.Dataplane.Drivers;
using static Fabric.Dataplane.Tests.TestSupport;

namespace Fabric.Dataplane.Tests.Dpdk;

/// <summary>The DPDK driver behind a real channel: an AC worker (a .NET thread, not an EAL lcore) drives the queue pair.</summary>
[Collection(DpdkCollection.Name)]
public class CryptodevChannelTests(DpdkFixture dpdk)
{
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
