using System.Security.Cryptography;
using Fabric.Dataplane.Drivers;
using Fabric.Dataplane.Engine;
using Fabric.Dataplane.Tests.Dpdk;
using static Fabric.Dataplane.Tests.Drivers.AesCbcKnownAnswerTests;
using static Fabric.Dataplane.Tests.Drivers.DriverHarness;
using static Fabric.Dataplane.Tests.Vhost.VhostTestGuest;
using static Fabric.Dataplane.Tests.Vhost.VirtioCrypto;

namespace Fabric.Dataplane.Tests.Vhost;

/// <summary>
/// A vhost-user queue of the AC (<see cref="AccelerationEngine.AddVhostQueue"/>): the test guest drives the socket, an
/// AC worker polls the backend and runs the requests on Fabric's .NET g-drivers, counted like a channel's; a driver
/// that fails under a running guest is swapped and the guest keeps being answered, nothing lost.
/// </summary>
[Collection(DpdkCollection.Name)]
public class VhostAcTests(DpdkFixture dpdk)
{
    [Theory]
    [InlineData("aes-128-cbc", Key128, Ciphertext128)]
    [InlineData("aes-256-cbc", Key256, Ciphertext256)]
    public void SP800_38A_F2_vectors_pass_through_the_AC_on_the_dotnet_driver(string function, string key, string ciphertext)
    {
        using var rig = VhostRig.OnAc(dpdk, GDriverCatalog.Create(function));
        using var guest = rig.Guest();
        var enc = guest.CreateSession(Hex(key), direction: 1);
        var dec = guest.CreateSession(Hex(key), direction: 2);
        Assert.True(enc >= 0 && dec >= 0, $"sessions refused ({enc}, {dec})");
        for (var round = 0; round < 3; round++)
        {
            var sealedOut = Run(rig, guest, enc, Encrypt, Hex(Iv), Hex(Plaintext));
            Assert.Equal(StatusOk, sealedOut.Status);
            Assert.Equal(ciphertext, Convert.ToHexStringLower(sealedOut.Data));
            Assert.Equal(65u, sealedOut.UsedLength);
            var opened = Run(rig, guest, dec, Decrypt, Hex(Iv), Hex(ciphertext));
            Assert.Equal(StatusOk, opened.Status);
            Assert.Equal(Plaintext, Convert.ToHexStringLower(opened.Data));
        }
        // A key size or session kind the queue's function does not take is refused when the guest creates it.
        Assert.True(guest.CreateSession(Hex(Key192), direction: 1) < 0);
        Assert.True(guest.CreateSession(Hex(key), direction: 1, opType: 2, mac: 2, digest: 20, macKey: Hex(MacKey)) < 0);
        var stats = rig.Stats();
        Assert.Equal(6ul, stats.Completed);
        Assert.Equal(0ul, stats.Failed);
        // The AC counted them like a channel's ops.
        var queue = rig.Engine.GetStats(VhostRig.QueueId)!;
        Assert.Equal(function, queue.Function);
        Assert.True(queue.Ops >= 6, $"ops {queue.Ops}");
        Assert.Equal(0, queue.Errors);
    }

    // What a Linux guest's cbc(aes) self-test needs: one queue, sessions of every AES key size (F.2.1/F.2.3/F.2.5).
    [Fact]
    public void Aes_cbc_serves_every_AES_key_size_to_one_guest()
    {
        using var rig = VhostRig.OnAc(dpdk, GDriverCatalog.Create("aes-cbc"));
        using var guest = rig.Guest();
        foreach (var (key, ciphertext) in new[] { (Key128, Ciphertext128), (Key192, Ciphertext192), (Key256, Ciphertext256) })
        {
            var enc = guest.CreateSession(Hex(key), direction: 1);
            var dec = guest.CreateSession(Hex(key), direction: 2);
            Assert.True(enc >= 0 && dec >= 0, $"{key.Length * 4}-bit sessions refused ({enc}, {dec})");
            var sealedOut = Run(rig, guest, enc, Encrypt, Hex(Iv), Hex(Plaintext));
            Assert.Equal(StatusOk, sealedOut.Status);
            Assert.Equal(ciphertext, Convert.ToHexStringLower(sealedOut.Data));
            var opened = Run(rig, guest, dec, Decrypt, Hex(Iv), Hex(ciphertext));
            Assert.Equal(StatusOk, opened.Status);
            Assert.Equal(Plaintext, Convert.ToHexStringLower(opened.Data));
        }
        // Not an AES key size, and a chain (whose key the function could not split): refused at session creation.
        Assert.True(guest.CreateSession(new byte[20], direction: 1) < 0);
        Assert.True(guest.CreateSession(Hex(Key128), direction: 1, opType: 2, mac: 2, digest: 20, macKey: Hex(MacKey)) < 0);
        Assert.Equal(6ul, rig.Stats().Completed);
        Assert.Equal(0ul, rig.Stats().Failed);
        Assert.Equal("aes-cbc", rig.Engine.GetStats(VhostRig.QueueId)!.Function);
    }

    [Theory]
    [InlineData("aes-128-cbc-hmac-sha1", Key128, Ciphertext128, 2u, "a93ca10bd80536504cceccc78016185075114cd4")]
    [InlineData("aes-256-cbc-hmac-sha256", Key256, Ciphertext256, 4u, "9b7e71da76c62e4d72149987508bc3920f6827415da85740fdfec13746fdf465")]
    public void Cipher_then_HMAC_chains_through_the_AC_match_openssl(string function, string key, string ciphertext, uint mac, string tag)
    {
        using var rig = VhostRig.OnAc(dpdk, GDriverCatalog.Create(function));
        using var guest = rig.Guest();
        var digest = (uint)tag.Length / 2;
        var enc = guest.CreateSession(Hex(key), direction: 1, opType: 2, mac: mac, digest: digest, macKey: Hex(MacKey));
        var dec = guest.CreateSession(Hex(key), direction: 2, opType: 2, mac: mac, digest: digest, macKey: Hex(MacKey));
        Assert.True(enc >= 0 && dec >= 0, $"chain sessions refused ({enc}, {dec})");
        var whole = new Chain(0, 64, 0, 64, digest);
        var sealedOut = Run(rig, guest, enc, Encrypt, Hex(Iv), Hex(Plaintext), whole);
        Assert.Equal(StatusOk, sealedOut.Status);
        Assert.Equal(ciphertext, Convert.ToHexStringLower(sealedOut.Data));
        Assert.Equal(tag, Convert.ToHexStringLower(sealedOut.Hash));
        Assert.Equal(64u + digest + 1, sealedOut.UsedLength);

        var opened = Run(rig, guest, dec, Decrypt, Hex(Iv), Hex(ciphertext), whole, Hex(tag));
        Assert.Equal(StatusOk, opened.Status);
        Assert.Equal(Plaintext, Convert.ToHexStringLower(opened.Data));
        var forged = Hex(tag);
        forged[3] ^= 0x10;
        var refused = Run(rig, guest, dec, Decrypt, Hex(Iv), Hex(ciphertext), whole, forged);
        Assert.Equal(StatusBadMsg, refused.Status);
        Assert.All(refused.Data, b => Assert.Equal(0xee, b)); // no plaintext of a forged request

        // A chain whose MAC does not cover the whole source is not the function's: NOTSUPP, never a wrong MAC.
        var partial = Run(rig, guest, enc, Encrypt, Hex(Iv), Hex(Plaintext), new Chain(0, 64, 16, 48, digest));
        Assert.Equal(StatusNotSupp, partial.Status);
    }

    [Fact]
    public void Chain_sessions_and_requests_are_validated_like_the_cipher_path()
    {
        using var rig = VhostRig.OnAc(dpdk, GDriverCatalog.Create("aes-128-cbc-hmac-sha1"));
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
        // Well-formed but not the queue's function: a cipher session, another MAC, another key size.
        Assert.Equal(-3, guest.CreateSession(key, 1));
        Assert.Equal(-3, guest.CreateSession(key, 1, opType: 2, mac: 4, digest: 32, macKey: macKey));
        Assert.Equal(-3, guest.CreateSession(Hex(Key256), 1, opType: 2, mac: 2, digest: 20, macKey: macKey));

        var chain = guest.CreateSession(key, 1, opType: 2, mac: 2, digest: 20, macKey: macKey);
        Assert.True(chain >= 0);
        var data = new byte[64];
        var iv = new byte[16];
        // Requests: a cipher request on a chain session, regions outside the source, a cipher length that is not whole
        // blocks, a hash_result the session does not make, AAD: error status, never an AC op.
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
        Assert.Equal(11ul, stats.Completed);
        Assert.Equal(10ul, stats.Failed);
        Assert.Equal(12ul, stats.SessionsRefused);
        Assert.True(rig.Engine.GetStats(VhostRig.QueueId)!.Ops >= 1); // the one well-formed request reached the AC
    }

    [Fact]
    public void A_closed_session_is_refused_and_its_reused_slot_runs_the_new_key_not_the_old_one()
    {
        using var rig = VhostRig.OnAc(dpdk, new AesCbcDriver(16));
        using var guest = rig.Guest();
        var first = guest.CreateSession(Hex(Key128), direction: 1);
        Assert.Equal(StatusOk, Run(rig, guest, first, Encrypt, Hex(Iv), Hex(Plaintext)).Status);
        Close(guest, first);
        Assert.Equal(StatusInvSess, Run(rig, guest, first, Encrypt, Hex(Iv), Hex(Plaintext)).Status);
        // The slot is freed (and the AC told) once nothing is in flight: until then a new session gets another slot.
        var otherKey = new byte[16];
        otherKey[0] = 7;
        var second = -1L;
        VhostRig.Await(() =>
        {
            second = guest.CreateSession(otherKey, direction: 1);
            if (second != first)
            {
                Close(guest, second);
            }
            return second == first;
        }, "the closed session's slot to be reused");
        using var aes = Aes.Create();
        aes.Key = otherKey;
        var result = Run(rig, guest, second, Encrypt, Hex(Iv), Hex(Plaintext));
        Assert.Equal(StatusOk, result.Status);
        Assert.Equal(aes.EncryptCbc(Hex(Plaintext), Hex(Iv), PaddingMode.None), result.Data);
    }

    [Fact]
    public async Task A_driver_that_fails_under_a_running_guest_is_swapped_and_no_request_is_lost()
    {
        const int batches = 40, perBatch = 8, size = 1024;
        AccelerationEngine? engine = null;
        var swapped = new TaskCompletionSource<IGDriver>(TaskCreationOptions.RunContinuationsAsynchronously);
        var options = new EngineOptions
        {
            Workers = 1,
            // What the node's compute actor does on a driver fault signal: another driver behind the same queue.
            DriverFaulted = signal => engine!.SwapDriverAsync(signal.QueueId, new AesCbcDriver(16)).ContinueWith(t => swapped.TrySetResult(t.Result)),
        };
        var faulty = new FaultInjectingDriver(new AesCbcDriver(16));
        using var rig = VhostRig.OnAc(dpdk, faulty, options);
        engine = rig.Engine;
        using var guest = rig.Guest();
        var session = guest.CreateSession(Hex(Key128), direction: 1);
        Assert.True(session >= 0);
        using var aes = Aes.Create();
        aes.Key = Hex(Key128);
        var random = new Random(16);
        var iv = Hex(Iv);
        int ok = 0, failed = 0, answered = 0, failedAfterSwap = 0;
        for (var batch = 0; batch < batches; batch++)
        {
            if (batch == 10)
            {
                faulty.Arm(FaultKind.Throw, count: -1); // the device breaks for good under the running guest
            }
            var sources = new byte[perBatch][];
            var before = swapped.Task.IsCompleted;
            for (var i = 0; i < perBatch; i++)
            {
                sources[i] = new byte[size];
                random.NextBytes(sources[i]);
                byte[] readable = [.. VirtioCrypto.Header(session, Encrypt, OpCipher, 16, size, size), .. iv, .. sources[i]];
                var at = DataStart + (ulong)i * 2048;
                readable.CopyTo(guest.Memory[(int)at..]);
                var writable = WritableAt + (ulong)i * 2048;
                guest.Memory.Slice((int)writable, size + 1).Fill(0xee);
                guest.WriteDescriptor(2 * i, at, (uint)readable.Length, FlagNext, (ushort)(2 * i + 1));
                guest.WriteDescriptor(2 * i + 1, writable, size + 1, FlagWrite, 0);
                guest.Post((ushort)(2 * i));
            }
            var answers = guest.AwaitAnswers(VhostRig.Patience);
            Assert.Equal(perBatch, answers.Count);
            Assert.Equal(Enumerable.Range(0, perBatch).Select(i => (uint)(2 * i)).Order(), answers.Select(a => a.Id).Order());
            for (var i = 0; i < perBatch; i++)
            {
                answered++;
                var writable = (int)(WritableAt + (ulong)i * 2048);
                var status = guest.Memory[writable + size];
                if (status == StatusOk)
                {
                    ok++;
                    Assert.Equal(aes.EncryptCbc(sources[i], iv, PaddingMode.None), guest.Memory.Slice(writable, size).ToArray());
                }
                else
                {
                    Assert.Equal(StatusErr, status);
                    failed++;
                    failedAfterSwap += before ? 1 : 0;
                }
            }
        }
        Assert.Same(faulty, await swapped.Task.WaitAsync(VhostRig.Patience));
        Assert.Equal(batches * perBatch, answered);
        Assert.Equal(0, failedAfterSwap);
        // Only requests the broken driver already held fail: at most the batch it broke in.
        Assert.InRange(failed, 1, perBatch);
        var stats = rig.Stats();
        Assert.Equal(stats.Fetched, stats.Completed);
        Assert.Equal((ulong)failed, stats.Failed);
        var queue = engine!.GetStats(VhostRig.QueueId)!;
        Assert.Equal(1u, queue.DriverGeneration);
        Assert.Equal(failed, queue.DriverFaults);
    }

    [Fact]
    public void Requests_through_the_AC_allocate_nothing_on_the_worker()
    {
        const int perBatch = 8, size = 1024;
        using var rig = VhostRig.OnAc(dpdk, new AesCbcDriver(16));
        using var guest = rig.Guest();
        var session = guest.CreateSession(Hex(Key128), direction: 1);
        Assert.True(session >= 0);
        byte[] readable = [.. VirtioCrypto.Header(session, Encrypt, OpCipher, 16, size, size), .. new byte[16 + size]];
        for (var i = 0; i < perBatch; i++)
        {
            var at = DataStart + (ulong)i * 2048;
            readable.CopyTo(guest.Memory[(int)at..]);
            guest.WriteDescriptor(2 * i, at, (uint)readable.Length, FlagNext, (ushort)(2 * i + 1));
            guest.WriteDescriptor(2 * i + 1, WritableAt + (ulong)i * 2048, size + 1, FlagWrite, 0);
        }
        void Batches(int n)
        {
            for (var b = 0; b < n; b++)
            {
                for (var i = 0; i < perBatch; i++)
                {
                    guest.Post((ushort)(2 * i));
                }
                Assert.Equal(perBatch, guest.AwaitAnswers(VhostRig.Patience).Count);
            }
        }
        Batches(100); // warm up: JIT, the session on the driver
        var before = WorkerAllocated(rig.Engine);
        Batches(500);
        var allocated = WorkerAllocated(rig.Engine) - before;
        Assert.Equal(600ul * perBatch, rig.Stats().Completed);
        Assert.Equal(0ul, rig.Stats().Failed);
        // 4,000 requests: one allocating request would cost at least 24 B each.
        Assert.True(allocated < 1024, $"worker allocated {allocated} B over {500 * perBatch} requests");
    }

    private static void Close(VhostTestGuest guest, long session) =>
        Assert.Equal(0ul, BitConverter.ToUInt64(guest.Exchange(27 /* CLOSE_CRYPTO_SESSION */, 0x1 | 0x8 /* NEED_REPLY */, BitConverter.GetBytes(session))));

    private static long WorkerAllocated(AccelerationEngine engine)
    {
        var loops = engine.Workers[0].Loops;
        VhostRig.Await(() => engine.Workers[0].Loops >= loops + 2, "the worker to loop");
        return engine.Workers[0].AllocatedBytes;
    }
}
