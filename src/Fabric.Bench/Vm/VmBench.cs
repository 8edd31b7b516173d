using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Fabric.Dataplane.Dpdk;
using Fabric.Dataplane.Drivers;
using Fabric.Dataplane.Engine;
using Fabric.Dataplane.Vhost;
using Fabric.Node.Vm;

namespace Fabric.Bench.Vm;

/// <summary>
/// Boots the guest image (scripts/guest-image.sh) under QEMU on a vhost-user virtio-crypto device and reports what the
/// guest measured through its kernel crypto API: the known-answer tests on virtio_crypto, AES-128-CBC throughput
/// through virtio-crypto (Fabric) and through the guest's own cbc(aes-generic) in the same VM, the boot time, and the
/// host's ops/s over the guest's virtio loop. The device is served by the AC: an <c>aes-cbc</c> vhost queue of an
/// <see cref="AccelerationEngine"/> on the .NET g-driver.
/// </summary>
internal static partial class VmBench
{
    public const string QueueId = "vm-crypto";

    public sealed record Settings(string Image, string? Qemu, double Seconds, TimeSpan Timeout, bool Json);

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
        var (figures, ok) = await RunOnceAsync(qemu, kernel!, initrd!, settings, log, cancellation);
        Console.Out.WriteLine(figures.ToJsonString(new JsonSerializerOptions { WriteIndented = settings.Json }));
        return ok ? 0 : 1;
    }

    /// <summary>One boot of the guest on an AC queue; its figures and whether every KAT passed.</summary>
    private static async Task<(JsonObject Figures, bool Ok)> RunOnceAsync(string qemu, string kernel, string initrd, Settings settings, TextWriter log, CancellationToken cancellation)
    {
        var dir = Directory.CreateTempSubdirectory("fabric-bench-vm-");
        try
        {
            var socket = Path.Combine(dir.FullName, "crypto.sock");
            using var served = Served.OnAc(socket);
            var window = new LoopWindow(served.Stats);
            var append = string.Create(CultureInfo.InvariantCulture, $"console=ttyS0 loglevel=3 panic=-1 fabric.seconds={settings.Seconds}");
            using var vm = QemuMachine.Start(new QemuMachineSpec(qemu, kernel, initrd, append, dir.FullName, [socket]));
            vm.LineReceived += window.OnLine;
            log.WriteLine($"vm       qemu pid {vm.Pid} ({(vm.Kvm ? "KVM" : "TCG")}), {served.Name} on {socket}");
            var exited = await vm.WaitForExitAsync(settings.Timeout, cancellation);
            window.Close();
            var figures = Figures(vm, exited, served, window, settings);
            if (!settings.Json)
            {
                foreach (var (_, line) in vm.Lines.Where(l => l.Line.StartsWith("FABRIC-", StringComparison.Ordinal)))
                {
                    log.WriteLine("guest    " + line);
                }
            }
            if (!exited)
            {
                Console.Error.WriteLine($"fabric-bench vm: the guest did not power off within {settings.Timeout.TotalSeconds} s (qemu pid {vm.Pid} killed)");
            }
            var passed = figures["kat_passed"]!.GetValue<int>();
            var failed = figures["kat_failed"]!.GetValue<int>();
            return (figures, exited && passed > 0 && failed == 0);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static JsonObject Figures(QemuMachine vm, bool exited, Served served, LoopWindow window, Settings settings)
    {
        var stats = served.Stats();
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
                ["served_by"] = served.Name,
                ["requests"] = stats.Completed,
                ["failed"] = stats.Failed,
                ["sessions"] = stats.Sessions,
                ["loop_requests"] = window.Requests,
                ["loop_window_seconds"] = Math.Round(window.Seconds, 3),
                ["ops_per_s"] = window.Seconds > 0 ? Math.Round(window.Requests / window.Seconds, 1) : null,
                ["ac_ops"] = served.Queue?.Ops,
                ["ac_errors"] = served.Queue?.Errors,
                ["ac_latency_p50_us"] = served.Queue is { } q ? Math.Round(q.LatencyP50Nanos / 1000.0, 1) : null,
                ["ac_latency_p99_us"] = served.Queue is { } q99 ? Math.Round(q99.LatencyP99Nanos / 1000.0, 1) : null,
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
        // Normalized by GetFullPath: the kernel cannot resolve "data/.." while data/ does not exist yet.
        var script = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(folder))!, "..", "scripts", "guest-image.sh"));
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
    private sealed class LoopWindow(Func<VhostCryptoStats> stats)
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
                    _startCompleted = stats().Completed;
                }
                else if (_start != 0 && line.StartsWith("FABRIC-THROUGHPUT driver=virtio_crypto_aes_cbc", StringComparison.Ordinal))
                {
                    Requests = stats().Completed - _startCompleted;
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

    /// <summary>What serves the guest's device: an aes-cbc vhost queue of an AC with one worker.</summary>
    private sealed class Served(AccelerationEngine engine) : IDisposable
    {
        public string Name => "AC queue aes-cbc (.NET g-driver)";

        public QueueStats? Queue => engine.GetStats(QueueId);

        /// <summary>A worker that spins briefly, then yields and naps when idle: QEMU's TCG thread needs the other core.</summary>
        public static Served OnAc(string socket)
        {
            var engine = new AccelerationEngine(new EngineOptions { Workers = 1, IdleSpinPolls = 1_000, IdleYieldPolls = 1_000 });
            try
            {
                engine.AddVhostQueue(QueueId, socket, GDriverCatalog.Create("aes-cbc")).Wait(TimeSpan.FromSeconds(30));
                return new Served(engine);
            }
            catch
            {
                engine.Dispose();
                throw;
            }
        }

        public VhostCryptoStats Stats() => engine.GetVhostStats(QueueId) ?? default;

        public void Dispose() => engine.Dispose();
    }
}
