using System.Diagnostics;
using Fabric.Dataplane.Channel;
using Fabric.Dataplane.Dpdk;
using Fabric.Dataplane.Drivers;
using Xunit.Abstractions;
using static Fabric.Dataplane.Tests.Drivers.DriverHarness;

namespace Fabric.Dataplane.Tests.Dpdk;

/// <summary>The DPDK AES-256-GCM g-driver against real software PMDs: the .NET driver's answers, status codes and rules.</summary>
[Collection(DpdkCollection.Name)]
public class CryptodevDriverTests(DpdkFixture dpdk, ITestOutputHelper output)
{
    public static TheoryData<string> Pmds() => [.. DpdkFixture.Devices];

    // The NIST GCM vectors of KnownAnswerTests (McGrew & Viega, AES-256 test cases 13, 14 and 16), through every PMD.
    private static readonly string[][] s_nist =
    [
        ["0000000000000000000000000000000000000000000000000000000000000000", "000000000000000000000000", "", "", "", "530f8afbc74536b9a963b4f1c4cb738b"],
        ["0000000000000000000000000000000000000000000000000000000000000000", "000000000000000000000000", "00000000000000000000000000000000", "", "cea7403d4d606b6e074ec5d3baf39d18", "d0d1c8a799996bf0265b98b5d48ab919"],
        ["feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308", "cafebabefacedbaddecaf888",
            "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
            "feedfacedeadbeeffeedfacedeadbeefabaddad2",
            "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
            "76fc6ece0f4e1768cddf8853bb2d551b"],
    ];

    public static TheoryData<string, int> PmdsAndVectors()
    {
        var data = new TheoryData<string, int>();
        foreach (var pmd in DpdkFixture.Devices)
        {
            for (var v = 0; v < s_nist.Length; v++)
            {
                data.Add(pmd, v);
            }
        }
        return data;
    }

    [Fact]
    public void EAL_runs_once_and_a_second_start_says_so()
    {
        Assert.True(DpdkEal.IsRunning);
        Assert.False(DpdkEal.TryStart(DpdkFixture.Options, out var reason));
        Assert.Contains("already running", reason, StringComparison.Ordinal);
        Assert.Contains("crypto_openssl0", reason, StringComparison.Ordinal);
        var device = dpdk.Device("crypto_openssl0");
        Assert.Equal("crypto_openssl", device.DriverName);
        var missing = Assert.Throws<DpdkException>(() => Cryptodev.Open("crypto_nothing0"));
        Assert.Contains("no cryptodev named crypto_nothing0", missing.Message, StringComparison.Ordinal);
        var twice = Assert.Throws<DpdkException>(() => Cryptodev.Open("crypto_openssl0"));
        Assert.Contains("already open", twice.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(PmdsAndVectors))]
    public void Seals_and_opens_the_NIST_vectors(string pmd, int vector)
    {
        var (key, iv, pt, aad, ct, tag) = (s_nist[vector][0], s_nist[vector][1], s_nist[vector][2], s_nist[vector][3], s_nist[vector][4], s_nist[vector][5]);
        using var driver = new CryptodevAesGcmDriver(dpdk.Device(pmd));
        var session = Open(driver, Hex(key));
        try
        {
            var sealedOut = Run(driver, OpCode.Forward, session, Hex(aad + pt), Hex(iv), Hex(aad).Length);
            Assert.Equal(OpStatus.Ok, sealedOut.Status);
            Assert.Equal(ct + tag, Convert.ToHexStringLower(sealedOut.Output));

            var opened = Run(driver, OpCode.Inverse, session, Hex(aad + ct + tag), Hex(iv), Hex(aad).Length);
            Assert.Equal(OpStatus.Ok, opened.Status);
            Assert.Equal(pt, Convert.ToHexStringLower(opened.Output));
        }
        finally
        {
            driver.CloseSession(session);
        }
    }

    [Theory]
    [MemberData(nameof(Pmds))]
    public void Seal_then_open_round_trips_every_size(string pmd)
    {
        using var driver = new CryptodevAesGcmDriver(dpdk.Device(pmd));
        var session = Open(driver, Drivers.KnownAnswerTests.RandomBytes(32, seed: 3));
        try
        {
            foreach (var size in new[] { 0, 1, 64, 1024, 16 * 1024 })
            {
                foreach (var aadLength in new[] { 0, 13 })
                {
                    var input = Drivers.KnownAnswerTests.RandomBytes(aadLength + size, seed: size + aadLength);
                    var nonce = Drivers.KnownAnswerTests.RandomBytes(12, seed: size);
                    var sealedOut = Run(driver, OpCode.Forward, session, input, nonce, aadLength);
                    Assert.Equal(OpStatus.Ok, sealedOut.Status);
                    Assert.Equal(size + AeadDriver.TagSize, sealedOut.Output.Length);

                    var opened = Run(driver, OpCode.Inverse, session, [.. input.AsSpan(0, aadLength), .. sealedOut.Output], nonce, aadLength);
                    Assert.Equal(OpStatus.Ok, opened.Status);
                    Assert.Equal(input.AsSpan(aadLength).ToArray(), opened.Output);
                }
            }
        }
        finally
        {
            driver.CloseSession(session);
        }
    }

    [Theory]
    [MemberData(nameof(Pmds))]
    public void Refuses_what_the_NET_driver_refuses_with_the_same_status(string pmd)
    {
        using var driver = new CryptodevAesGcmDriver(dpdk.Device(pmd));
        using var reference = new AesGcmDriver();
        Assert.Equal(OpStatus.BadKey, driver.OpenSession(new byte[20], out var none));
        Assert.Null(none);
        var session = Open(driver, new byte[32]);
        var referenceSession = Open(reference, new byte[32]);
        try
        {
            var cases = new (string What, OpCode Code, byte[] Input, int Aad, int Capacity)[]
            {
                ("forged tag", OpCode.Inverse, Hex("cea7403d4d606b6e074ec5d3baf39d18" + "d0d1c8a799996bf0265b98b5d48ab918"), 0, 64 * 1024),
                ("forged ciphertext", OpCode.Inverse, Hex("cea7403d4d606b6e074ec5d3baf39d19" + "d0d1c8a799996bf0265b98b5d48ab919"), 0, 64 * 1024),
                ("no room for the tag", OpCode.Forward, new byte[64], 0, 64),
                ("open shorter than a tag", OpCode.Inverse, new byte[15], 0, 64 * 1024),
                ("AAD longer than the input", OpCode.Forward, new byte[8], 9, 64 * 1024),
                ("an op code AEAD does not do", (OpCode)200, new byte[16], 0, 64 * 1024),
            };
            foreach (var c in cases)
            {
                var expected = Run(reference, c.Code, referenceSession, c.Input, aad: c.Aad, capacity: c.Capacity).Status;
                Assert.NotEqual(OpStatus.Ok, expected);
                Assert.True(expected == Run(driver, c.Code, session, c.Input, aad: c.Aad, capacity: c.Capacity).Status, c.What);
            }
            Assert.Equal(OpStatus.AuthFailed, Run(driver, OpCode.Inverse, session, cases[0].Input).Status);
            Assert.Equal(OpStatus.BadSession, Run(driver, OpCode.Forward, null, new byte[16]).Status);
            Assert.Equal(OpStatus.BadInput, Run(driver, OpCode.Forward, session, new byte[16], nonce: new byte[8]).Status);
            // After every refusal the queue pair still serves: NIST test case 14.
            var sealedOut = Run(driver, OpCode.Forward, session, new byte[16]);
            Assert.Equal("cea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5d48ab919", Convert.ToHexStringLower(sealedOut.Output));
        }
        finally
        {
            driver.CloseSession(session);
            reference.CloseSession(referenceSession);
        }
    }

    [Theory]
    [MemberData(nameof(Pmds))]
    public void Outputs_are_byte_identical_to_the_NET_driver(string pmd)
    {
        using var driver = new CryptodevAesGcmDriver(dpdk.Device(pmd));
        using var reference = new AesGcmDriver();
        var random = new Random(15);
        for (var round = 0; round < 40; round++)
        {
            var key = new byte[32];
            random.NextBytes(key);
            var nonce = new byte[12];
            random.NextBytes(nonce);
            var size = round % 4 == 0 ? random.Next(0, 20_000) : random.Next(0, 300);
            var aadLength = random.Next(0, 3) == 0 ? 0 : random.Next(0, 64);
            var input = new byte[aadLength + size];
            random.NextBytes(input);
            var session = Open(driver, key);
            var referenceSession = Open(reference, key);
            try
            {
                var mine = Run(driver, OpCode.Forward, session, input, nonce, aadLength);
                var theirs = Run(reference, OpCode.Forward, referenceSession, input, nonce, aadLength);
                Assert.Equal(OpStatus.Ok, mine.Status);
                Assert.Equal(theirs.Output, mine.Output);
                // And each opens what the other sealed.
                byte[] sealedInput = [.. input.AsSpan(0, aadLength), .. theirs.Output];
                var opened = Run(driver, OpCode.Inverse, session, sealedInput, nonce, aadLength);
                Assert.Equal(OpStatus.Ok, opened.Status);
                Assert.Equal(input.AsSpan(aadLength).ToArray(), opened.Output);
            }
            finally
            {
                driver.CloseSession(session);
                reference.CloseSession(referenceSession);
            }
        }
    }

    [Fact]
    public void An_op_past_its_deadline_is_given_up_and_its_late_answer_does_not_reach_the_next_op()
    {
        using var driver = new CryptodevAesGcmDriver(dpdk.Device("crypto_openssl0"));
        var session = Open(driver, new byte[32]);
        try
        {
            var output = new byte[64];
            var late = new DriverOp(OpCode.Forward, session, new byte[12], 0, Stopwatch.GetTimestamp() - 1);
            Assert.Equal(OpStatus.DeadlineExceeded, driver.Execute(late, Hex("ffffffffffffffffffffffffffffffff"), output, out var lateWritten));
            Assert.Equal(0, lateWritten);
            Assert.Equal(1, driver.Abandoned);
            // The abandoned op's completion is still on the queue pair; the next op must get its own answer.
            var next = Run(driver, OpCode.Forward, session, new byte[16]);
            Assert.Equal(OpStatus.Ok, next.Status);
            Assert.Equal("cea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5d48ab919", Convert.ToHexStringLower(next.Output));
        }
        finally
        {
            driver.CloseSession(session);
        }
    }

    [Theory]
    [InlineData("crypto_openssl0")]
    [InlineData("crypto_aesni_gcm0")]
    [InlineData("crypto_aesni_mb0")]
    public void A_64_KiB_op_runs_on_chained_mbufs_where_the_PMD_does_in_place_SGL_and_a_larger_one_is_unsupported(string pmd)
    {
        var device = dpdk.Device(pmd);
        using var driver = new DpdkGDriver(device, "aes-256-gcm");
        using var reference = new AesGcmDriver();
        var key = Drivers.KnownAnswerTests.RandomBytes(32, seed: 64);
        var session = Open(driver, key);
        var referenceSession = Open(reference, key);
        try
        {
            var input = Drivers.KnownAnswerTests.RandomBytes(20 + 64 * 1024, seed: 65);
            var nonce = Drivers.KnownAnswerTests.RandomBytes(12, seed: 66);
            var sealedOut = Run(driver, OpCode.Forward, session, input, nonce, aad: 20, capacity: 80 * 1024);
            output.WriteLine($"{pmd}: max op {device.MaxOpBytes} bytes; 64 KiB seal: {sealedOut.Status}");
            if (device.MaxOpBytes <= Cryptodev.MaxSingleSegmentBytes)
            {
                Assert.Equal(OpStatus.Unsupported, sealedOut.Status); // no SGL: one mbuf, refused, never truncated
            }
            else
            {
                Assert.Equal(OpStatus.Ok, sealedOut.Status);
                Assert.Equal(Run(reference, OpCode.Forward, referenceSession, input, nonce, aad: 20, capacity: 80 * 1024).Output, sealedOut.Output);
                var opened = Run(driver, OpCode.Inverse, session, [.. input[..20], .. sealedOut.Output], nonce, aad: 20, capacity: 80 * 1024);
                Assert.Equal(OpStatus.Ok, opened.Status);
                Assert.Equal(input[20..], opened.Output);
            }
            var tooLarge = new byte[device.MaxOpBytes + 1];
            Assert.Equal(OpStatus.Unsupported, Run(driver, OpCode.Forward, session, tooLarge, nonce, capacity: tooLarge.Length + 16).Status);
            Assert.Equal(OpStatus.Ok, Run(driver, OpCode.Forward, session, new byte[Cryptodev.MaxSingleSegmentBytes], nonce, capacity: 64 * 1024).Status);
        }
        finally
        {
            driver.CloseSession(session);
        }
    }

    [Fact]
    public void The_ipsec_mb_GCM_PMD_runs_64_KiB_ops()
    {
        // What item 4 of docs/dpdk.md promises: a 64 KiB AES-GCM op on the PMD the node prefers for it.
        Assert.True(dpdk.Device("crypto_aesni_gcm0").MaxOpBytes >= 64 * 1024 + 16, "crypto_aesni_gcm lost in-place SGL");
    }

    [Theory]
    [MemberData(nameof(Pmds))]
    public void Execute_allocates_nothing_per_op(string pmd)
    {
        const int Operations = 20_000;
        using var driver = new CryptodevAesGcmDriver(dpdk.Device(pmd));
        var session = Open(driver, new byte[32]);
        try
        {
            var input = Drivers.KnownAnswerTests.RandomBytes(16 + 1024);
            var sealedOut = new byte[2048];
            var opened = new byte[2048];
            var nonce = new byte[12];
            var openInput = new byte[input.Length + AeadDriver.TagSize];
            var errors = Loop(driver, session, input, sealedOut, openInput, opened, nonce, 1_000); // warm up: JIT, stubs, sessions
            var before = GC.GetAllocatedBytesForCurrentThread();
            errors += Loop(driver, session, input, sealedOut, openInput, opened, nonce, Operations);
            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            output.WriteLine($"{pmd}: {2 * Operations} ops, allocated {allocated} B");
            Assert.Equal(0, errors);
            Assert.True(allocated < 1024, $"{pmd}: allocated {allocated} B over {2 * Operations} ops");
        }
        finally
        {
            driver.CloseSession(session);
        }
    }

    /// <summary>Seal aad || 1 KiB, then open it again: input is 16 bytes of AAD and the body.</summary>
    private static int Loop(IGDriver driver, object? session, byte[] input, byte[] sealedOut, byte[] openInput, byte[] opened, byte[] nonce, int operations)
    {
        const int Aad = 16;
        input.AsSpan(0, Aad).CopyTo(openInput);
        var errors = 0;
        for (var i = 0; i < operations; i++)
        {
            var deadline = Stopwatch.GetTimestamp() + Stopwatch.Frequency * 10;
            if (driver.Execute(new DriverOp(OpCode.Forward, session, nonce, Aad, deadline), input, sealedOut, out var n) != OpStatus.Ok)
            {
                errors++;
                continue;
            }
            sealedOut.AsSpan(0, n).CopyTo(openInput.AsSpan(Aad));
            if (driver.Execute(new DriverOp(OpCode.Inverse, session, nonce, Aad, deadline), openInput, opened, out var m) != OpStatus.Ok
                || m != input.Length - Aad)
            {
                errors++;
            }
        }
        return errors;
    }
}
