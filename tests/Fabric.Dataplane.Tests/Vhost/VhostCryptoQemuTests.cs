using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Fabric.Dataplane.Dpdk;
using Fabric.Dataplane.Drivers;
using Fabric.Dataplane.Engine;
using Fabric.Dataplane.Tests.Dpdk;
using Fabric.Node.Vm;
using Xunit.Abstractions;

namespace Fabric.Dataplane.Tests.Vhost;

/// <summary>
/// A real QEMU guest's kernel crypto API on the AC: an <c>aes-cbc</c> vhost-user queue of an
/// <see cref="AccelerationEngine"/> (its worker polls the backend, the .NET g-driver runs the requests). The guest
/// (scripts/guest-image.sh) runs the NIST SP 800-38A CBC-AES vectors through AF_ALG on virtio_crypto_aes_cbc after
/// its kernel self-tested the driver (128/192/256-bit keys), and the AC counts its requests.
/// </summary>
[Collection(DpdkCollection.Name)]
public partial class VhostCryptoQemuTests(DpdkFixture dpdk, ITestOutputHelper output)
{
    // TCG on a shared 2-core machine: the boot alone is 10 to 30 s; the bound leaves room for a loaded machine.
    private static readonly TimeSpan s_guestBound = TimeSpan.FromSeconds(180);
    private const string QueueId = "vm-crypto";

    [Fact]
    public async Task Guest_runs_its_known_answer_tests_through_an_aes_cbc_queue_of_the_AC()
    {
        Assert.True(DpdkEal.IsRunning, "EAL: " + DpdkEal.Failure);
        _ = dpdk;
        var qemu = QemuMachine.Find() ?? throw new InvalidOperationException("qemu-system-x86_64 not found (./test.sh installs it: apt-get install qemu-system-x86)");
        var (kernel, initrd) = GuestImage.Get();
        var dir = Directory.CreateTempSubdirectory("fabric-vhost-");
        try
        {
            var socket = Path.Combine(dir.FullName, "crypto.sock");
            // A worker that spins briefly, then yields and naps when idle: QEMU's TCG thread needs the other core.
            using var engine = new AccelerationEngine(new EngineOptions { Workers = 1, IdleSpinPolls = 1_000, IdleYieldPolls = 1_000 });
            await engine.AddVhostQueue(QueueId, socket, GDriverCatalog.Create("aes-cbc")).WaitAsync(TimeSpan.FromSeconds(20));
            var started = Stopwatch.StartNew();
            // Guest RAM, console log and QMP socket in the temp folder (deleted with it). TCG: the bound is set for it.
            using var guest = QemuMachine.Start(new QemuMachineSpec(qemu, kernel, initrd, "console=ttyS0 loglevel=3 panic=-1 fabric.seconds=2",
                dir.FullName, [socket]));
            var exited = await guest.WaitForExitAsync(s_guestBound);
            var wall = started.Elapsed;
            foreach (var (_, line) in guest.Lines)
            {
                output.WriteLine(line);
            }
            var stats = engine.GetVhostStats(QueueId)!.Value;
            var queue = engine.GetStats(QueueId)!;
            output.WriteLine($"host: qemu wall {wall.TotalSeconds:F1} s, exit {(exited ? guest.ExitCode : -1)}, {stats}; AC queue {queue.Function}: ops {queue.Ops}, errors {queue.Errors}, p50 {queue.LatencyP50Nanos} ns, p99 {queue.LatencyP99Nanos} ns");
            Assert.True(exited, $"the guest did not power off within {s_guestBound.TotalSeconds} s (qemu pid {guest.Pid} killed)");

            var kat = guest.Lines.Select(l => KatLine().Match(l.Line)).FirstOrDefault(m => m.Success);
            Assert.True(kat is not null, "the guest printed no FABRIC-KAT line");
            var passed = int.Parse(kat.Groups[1].Value, CultureInfo.InvariantCulture);
            var failed = int.Parse(kat.Groups[2].Value, CultureInfo.InvariantCulture);
            Assert.Equal(0, failed);
            Assert.Equal(4, passed);
            Assert.Contains(guest.Lines, l => l.Line.StartsWith("FABRIC-PROC-CRYPTO driver=virtio_crypto_aes_cbc name=cbc(aes)", StringComparison.Ordinal));
            // The guest kernel's own crypto self-test of the driver (128/192/256-bit keys) ran through the AC too.
            Assert.Contains("FABRIC-PROC-CRYPTO driver=virtio_crypto_aes_cbc selftest=passed", guest.Lines.Select(l => l.Line));

            // The KATs (and the kernel's self-test, and the throughput loop) went through the backend and the AC's queue.
            Assert.Equal(1u, stats.GuestsSeen);
            Assert.True(stats.Sessions >= 2, $"the guest created {stats.Sessions} sessions through the backend");
            Assert.Equal(0ul, stats.SessionsRefused);
            Assert.True(stats.Completed >= (ulong)passed, $"the backend answered {stats.Completed} requests, fewer than the {passed} KATs");
            Assert.Equal(stats.Fetched, stats.Completed);
            Assert.Equal(0ul, stats.Failed);
            Assert.Equal("aes-cbc", queue.Function);
            Assert.True(queue.Ops >= (long)stats.Completed, $"the AC counted {queue.Ops} ops for {stats.Completed} answered requests");
            Assert.Equal(0, queue.Errors);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [GeneratedRegex(@"^FABRIC-KAT passed=(\d+) failed=(\d+)")]
    private static partial Regex KatLine();
}
