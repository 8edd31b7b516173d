using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Fabric.Dataplane.Dpdk;
using Fabric.Dataplane.Vhost;
using Fabric.Node.Vm;

namespace Fabric.Bench.Vm;

/// <summary>
/// Boots the guest image (scripts/guest-image.sh) under QEMU on Fabric's vhost-crypto backend and reports what the
/// guest measured through its kernel crypto API: the known-answer tests on virtio_crypto, AES-128-CBC throughput
/// through virtio-crypto (Fabric) and through the guest's own cbc(aes-generic) in the same VM, the boot time, and the
/// backend's ops/s over the guest's virtio loop.
/// </summary>
internal static partial class VmBench
{
    public sealed record Settings(string Image, string? Qemu, string Cryptodev, double Seconds, TimeSpan Timeout, bool Json);

    public static async Task<int> RunAsync(Settings settings, CancellationToken cancellation)
    {
        var log = settings.Json ? Console.Error : Console.Out;
        var qemu = QemuMachine.Find(settings.Qemu);
        if (qemu is null || !File.Exists(qemu))
        {
            Console.Error.WriteLine("fabric-bench vm: qemu-system-x86_64 not found (apt-get install qemu-system-x86, or --qemu PATH)");
            return 3;
        }
        var (kernel, initrd, imageError) = GuestImage(settings.Image, log);
        if (imageError is not null)
        {
            Console.Error.WriteLine("fabric-bench vm: " + imageError);
            return 3;
        }
        if (!DpdkEal.TryStart(new DpdkEalOptions { FilePrefix = "fabric-bench-vm-" + Environment.ProcessId }, out var reason))
        {
            Console.Error.WriteLine("fabric-bench vm: DPDK is needed for the vhost backend (apt-get install dpdk-dev pkg-config, then rebuild): " + reason);
            return 3;
        }
        var dir = Directory.CreateTempSubdirectory("fabric-bench-vm-");
        try
        {
            var socket = Path.Combine(dir.FullName, "crypto.sock");
            using var backend = VhostCryptoBackend.Start(socket, settings.Cryptodev);
            var window = new LoopWindow(backend);
            using (var poller = new Poller(backend))
            {
                var append = string.Create(CultureInfo.InvariantCulture, $"console=ttyS0 loglevel=3 panic=-1 fabric.seconds={settings.Seconds}");
                using var vm = QemuMachine.Start(new QemuMachineSpec(qemu, kernel!, initrd!, append, dir.FullName, [socket]));
                vm.LineReceived += window.OnLine;
                log.WriteLine($"vm       qemu pid {vm.Pid} ({(vm.Kvm ? "KVM" : "TCG")}), backend {settings.Cryptodev} on {socket}");
                var exited = await vm.WaitForExitAsync(settings.Timeout, cancellation);
                window.Close();
                poller.Stop();
                var figures = Figures(vm, exited, backend.Stats(), window, settings);
                if (settings.Json)
                {
                    Console.Out.WriteLine(figures.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
                }
                else
                {
                    foreach (var (_, line) in vm.Lines.Where(l => l.Line.StartsWith("FABRIC-", StringComparison.Ordinal)))
                    {
                        log.WriteLine("guest    " + line);
                    }
                    log.WriteLine(figures.ToJsonString());
                }
                var passed = figures["kat_passed"]!.GetValue<int>();
                var failed = figures["kat_failed"]!.GetValue<int>();
                if (!exited)
                {
                    Console.Error.WriteLine($"fabric-bench vm: the guest did not power off within {settings.Timeout.TotalSeconds} s (qemu pid {vm.Pid} killed)");
                }
                return exited && passed > 0 && failed == 0 ? 0 : 1;
            }
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static JsonObject Figures(QemuMachine vm, bool exited, VhostCryptoStats stats, LoopWindow window, Settings settings)
    {
        var lines = vm.Lines.ToArray();
        var kat = lines.Select(l => KatLine().Match(l.Line)).FirstOrDefault(m => m.Success);
        var boot = lines.Where(l => l.Line.StartsWith("FABRIC-BOOT", StringComparison.Ordinal)).Select(l => (TimeSpan?)l.At).FirstOrDefault();
        var done = lines.Where(l => l.Line.StartsWith("FABRIC-DONE", StringComparison.Ordinal)).Select(l => (TimeSpan?)l.At).FirstOrDefault();
        var virtio = Throughput(lines, "virtio_crypto_aes_cbc");
        var software = Throughput(lines, "cbc(aes-generic)");
        var virtioOps = virtio?["ops_per_s"]?.GetValue<double>();
        var softwareOps = software?["ops_per_s"]?.GetValue<double>();
        return new JsonObject
        {
            ["topic"] = "vm",
            ["accelerator"] = vm.Kvm ? "kvm" : "tcg",
            ["note"] = vm.Kvm
                ? "KVM: the guest's software AES runs natively; virtio-crypto is bounded by the ring round trip and the backend"
                : "TCG: the guest is emulated, so its own AES and its virtio driver both run under emulation; absolute figures mean little, compare the two sides of this run only",
            ["qemu_exited"] = exited,
            ["kat_passed"] = kat is null ? 0 : int.Parse(kat.Groups[1].Value, CultureInfo.InvariantCulture),
            ["kat_failed"] = kat is null ? 1 : int.Parse(kat.Groups[2].Value, CultureInfo.InvariantCulture),
            ["boot_seconds"] = boot is { } b ? Math.Round(b.TotalSeconds, 2) : null,
            ["guest_uptime_at_init_seconds"] = Uptime(lines, "FABRIC-BOOT"),
            ["qemu_start_to_done_seconds"] = done is { } d ? Math.Round(d.TotalSeconds, 2) : null,
            ["loop_seconds"] = settings.Seconds,
            ["virtio_crypto"] = virtio,
            ["guest_software"] = software,
            ["virtio_vs_software"] = virtioOps is > 0 && softwareOps is > 0 ? Math.Round(virtioOps.Value / softwareOps.Value, 3) : null,
            ["host"] = new JsonObject
            {
                ["cryptodev"] = settings.Cryptodev,
                ["requests"] = stats.Completed,
                ["failed"] = stats.Failed,
                ["sessions"] = stats.Sessions,
                ["loop_requests"] = window.Requests,
                ["loop_window_seconds"] = Math.Round(window.Seconds, 3),
                ["ops_per_s"] = window.Seconds > 0 ? Math.Round(window.Requests / window.Seconds, 1) : null,
            },
        };
    }

    private static JsonObject? Throughput(IEnumerable<(TimeSpan At, string Line)> lines, string driver)
    {
        var m = lines.Select(l => ThroughputLine().Match(l.Line)).FirstOrDefault(x => x.Success && x.Groups[1].Value == driver);
        if (m is null)
        {
            return null;
        }
        return new JsonObject
        {
            ["driver"] = driver,
            ["size"] = int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture),
            ["ops"] = long.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture),
            ["ops_per_s"] = double.Parse(m.Groups[4].Value, CultureInfo.InvariantCulture),
            ["mb_per_s"] = double.Parse(m.Groups[5].Value, CultureInfo.InvariantCulture),
        };
    }

    private static double? Uptime(IEnumerable<(TimeSpan At, string Line)> lines, string prefix)
    {
        var line = lines.Select(l => l.Line).FirstOrDefault(l => l.StartsWith(prefix + " uptime=", StringComparison.Ordinal));
        var first = line?[(prefix.Length + 8)..].Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
        return double.TryParse(first, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : null;
    }

    /// <summary>The image's kernel and initrd: the folder given, built by scripts/guest-image.sh when it is the repo's data/guest.</summary>
    private static (string? Kernel, string? Initrd, string? Error) GuestImage(string folder, TextWriter log)
    {
        var script = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(folder))!, "..", "scripts", "guest-image.sh");
        var (image, error) = Fabric.Node.Vm.GuestImage.In(folder).Image is { } built
            ? (built, null)
            : Fabric.Node.Vm.GuestImage.Build(folder, script, log);
        return (image?.Kernel, image?.Initrd, error);
    }

    [GeneratedRegex(@"^FABRIC-KAT passed=(\d+) failed=(\d+)")]
    private static partial Regex KatLine();

    [GeneratedRegex(@"^FABRIC-THROUGHPUT driver=(\S+) size=(\d+) ops=(\d+) seconds=[\d.]+ ops_per_s=([\d.]+) mb_per_s=([\d.]+)")]
    private static partial Regex ThroughputLine();

    /// <summary>
    /// The backend's requests over the guest's virtio loop: from the KAT line (the loop starts right after it) to the
    /// virtio throughput line, as the host saw them.
    /// </summary>
    private sealed class LoopWindow(VhostCryptoBackend backend)
    {
        private readonly Lock _lock = new();
        private bool _closed;
        private long _start;
        private ulong _startCompleted;

        public ulong Requests { get; private set; }

        public double Seconds { get; private set; }

        public void OnLine(TimeSpan at, string line)
        {
            lock (_lock)
            {
                if (_closed)
                {
                    return;
                }
                if (line.StartsWith("FABRIC-KAT passed=", StringComparison.Ordinal))
                {
                    _start = Stopwatch.GetTimestamp();
                    _startCompleted = backend.Stats().Completed;
                }
                else if (_start != 0 && line.StartsWith("FABRIC-THROUGHPUT driver=virtio_crypto_aes_cbc", StringComparison.Ordinal))
                {
                    Requests = backend.Stats().Completed - _startCompleted;
                    Seconds = Stopwatch.GetElapsedTime(_start).TotalSeconds;
                }
            }
        }

        /// <summary>No more samples: the backend is about to be disposed.</summary>
        public void Close()
        {
            lock (_lock)
            {
                _closed = true;
            }
        }
    }

    /// <summary>The AC worker's part on a dedicated thread: polls; when idle it yields, then naps, to leave QEMU a core.</summary>
    private sealed class Poller : IDisposable
    {
        private readonly Thread _thread;
        private volatile bool _stop;

        public Poller(VhostCryptoBackend backend)
        {
            _thread = new Thread(() =>
            {
                var idle = 0;
                while (!_stop)
                {
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

        public void Stop()
        {
            _stop = true;
            _thread.Join();
        }

        public void Dispose() => Stop();
    }
}
