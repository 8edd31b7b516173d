using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Fabric.Dataplane.Dpdk;
using Fabric.Dataplane.Tests.Dpdk;
using Fabric.Dataplane.Vhost;
using Fabric.Node.Vm;
using Xunit.Abstractions;

namespace Fabric.Dataplane.Tests.Vhost;

/// <summary>
/// A real QEMU guest's kernel crypto API on Fabric's vhost-crypto backend: the guest (scripts/guest-image.sh) runs the
/// NIST SP 800-38A CBC-AES vectors through AF_ALG on virtio_crypto_aes_cbc, and the backend counts its requests.
/// </summary>
[Collection(DpdkCollection.Name)]
public partial class VhostCryptoQemuTests(DpdkFixture dpdk, ITestOutputHelper output)
{
    // TCG on a shared 2-core machine: the boot alone is 10 to 30 s; the bound leaves room for a loaded machine.
    private static readonly TimeSpan s_guestBound = TimeSpan.FromSeconds(180);

    [Fact]
    public async Task Guest_runs_its_known_answer_tests_through_the_vhost_backend()
    {
        Assert.True(DpdkEal.IsRunning, "EAL: " + DpdkEal.Failure);
        _ = dpdk;
        var qemu = QemuMachine.Find() ?? throw new InvalidOperationException("qemu-system-x86_64 not found (./test.sh installs it: apt-get install qemu-system-x86)");
        var (kernel, initrd) = GuestImage.Get();
        var dir = Directory.CreateTempSubdirectory("fabric-vhost-");
        try
        {
            var socket = Path.Combine(dir.FullName, "crypto.sock");
            using var backend = VhostCryptoBackend.Start(socket, VhostCryptoBackend.DefaultCryptodev + Environment.ProcessId);
            using var poller = new Poller(backend);
            var started = Stopwatch.StartNew();
            // Guest RAM, console log and QMP socket in the temp folder (deleted with it). TCG: the bound is set for it.
            using var guest = QemuMachine.Start(new QemuMachineSpec(qemu, kernel, initrd, "console=ttyS0 loglevel=3 panic=-1 fabric.seconds=2",
                dir.FullName, [socket]));
            var exited = await guest.WaitForExitAsync(s_guestBound);
            var wall = started.Elapsed;
            poller.Stop();
            foreach (var (_, line) in guest.Lines)
            {
                output.WriteLine(line);
            }
            var stats = backend.Stats();
            output.WriteLine($"host: qemu wall {wall.TotalSeconds:F1} s, exit {(exited ? guest.ExitCode : -1)}, polls {poller.Polls}, {stats}");
            Assert.True(exited, $"the guest did not power off within {s_guestBound.TotalSeconds} s (qemu pid {guest.Pid} killed)");

            var kat = guest.Lines.Select(l => KatLine().Match(l.Line)).FirstOrDefault(m => m.Success);
            Assert.True(kat is not null, "the guest printed no FABRIC-KAT line");
            var passed = int.Parse(kat.Groups[1].Value, CultureInfo.InvariantCulture);
            var failed = int.Parse(kat.Groups[2].Value, CultureInfo.InvariantCulture);
            Assert.Equal(0, failed);
            Assert.Equal(4, passed);
            Assert.Contains(guest.Lines, l => l.Line.StartsWith("FABRIC-PROC-CRYPTO driver=virtio_crypto_aes_cbc name=cbc(aes)", StringComparison.Ordinal));
            // The guest kernel's own crypto self-test of the driver ran through the backend too.
            Assert.Contains("FABRIC-PROC-CRYPTO driver=virtio_crypto_aes_cbc selftest=passed", guest.Lines.Select(l => l.Line));

            // The KATs (and the kernel's own self-test of the driver, and the throughput loop) went through the backend.
            Assert.Equal(1u, stats.GuestsSeen);
            Assert.True(stats.Sessions >= 2, $"the guest created {stats.Sessions} sessions through the backend");
            Assert.Equal(0ul, stats.SessionsRefused);
            Assert.True(stats.Completed >= (ulong)passed, $"the backend answered {stats.Completed} requests, fewer than the {passed} KATs");
            Assert.Equal(stats.Fetched, stats.Completed);
            Assert.Equal(0ul, stats.Failed);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [GeneratedRegex(@"^FABRIC-KAT passed=(\d+) failed=(\d+)")]
    private static partial Regex KatLine();

    /// <summary>The AC worker's part, on a dedicated thread: polls; when idle it yields, then naps, to leave QEMU a core.</summary>
    private sealed class Poller : IDisposable
    {
        private readonly Thread _thread;
        private volatile bool _stop;
        private long _polls;

        public Poller(VhostCryptoBackend backend)
        {
            _thread = new Thread(() =>
            {
                var idle = 0;
                while (!_stop)
                {
                    Interlocked.Increment(ref _polls);
                    if (backend.Poll() > 0)
                    {
                        idle = 0;
                    }
                    else if (++idle < 1000)
                    {
                        Thread.Yield();
                    }
                    else
                    {
                        Thread.Sleep(1);
                    }
                }
            }) { IsBackground = true, Name = "vhost-poller" };
            _thread.Start();
        }

        public long Polls => Interlocked.Read(ref _polls);

        public void Stop()
        {
            _stop = true;
            _thread.Join();
        }

        public void Dispose() => Stop();
    }
}
