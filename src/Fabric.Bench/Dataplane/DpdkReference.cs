using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Fabric.Bench.Dataplane;

/// <summary>
/// The reference figures the DPDK rows are compared with, measured by the tools themselves in the same run:
/// dpdk-test-crypto-perf and dpdk-test-compress-perf (Debian's dpdk package; EAL --no-huge -m 512 --no-pci, one worker
/// lcore on the AC's core) and openssl speed. Each returns ops/s, or null with why in <c>log</c>.
/// </summary>
internal static class DpdkReference
{
    /// <summary>
    /// AES-256-GCM encrypt, burst 32, no AAD: ops/s per size, from crypto-perf's CSV line. Each size is measured for
    /// about <paramref name="measure"/>, as the channel is: a first pass of 300 000 ops (15-20 ms at 64 B, whose figure
    /// swung between 11.5 M and 23.3 M ops/s from one run to the next on a quiet machine) gives the rate, from which the
    /// second pass's op count is set.
    /// </summary>
    public static Dictionary<int, double> CryptoPerf(string pmd, string vdev, IReadOnlyList<int> sizes, int mainCore, int workerCore, TimeSpan measure, TextWriter log)
    {
        var quick = CryptoPerfPass(pmd, vdev, sizes, 300_000, mainCore, workerCore, log);
        var result = new Dictionary<int, double>();
        foreach (var size in sizes)
        {
            var ops = quick.TryGetValue(size, out var rate) ? (long)Math.Clamp(rate * measure.TotalSeconds, 300_000, 100_000_000) : 300_000;
            foreach (var (s, figure) in CryptoPerfPass(pmd, vdev, [size], ops, mainCore, workerCore, log))
            {
                result[s] = figure;
            }
        }
        return result;
    }

    private static Dictionary<int, double> CryptoPerfPass(string pmd, string vdev, IReadOnlyList<int> sizes, long totalOps, int mainCore, int workerCore, TextWriter log)
    {
        var result = new Dictionary<int, double>();
        var text = Run("dpdk-test-crypto-perf", log,
            "-l", $"{mainCore},{workerCore}", "--no-huge", "-m", "512", "--no-pci", "--no-shconf", "--file-prefix", $"fbref-{Environment.ProcessId}-{pmd}",
            "--log-level", "error", "--vdev", vdev, "--",
            "--ptest", "throughput", "--devtype", pmd, "--optype", "aead", "--aead-algo", "aes-gcm", "--aead-op", "encrypt",
            "--aead-key-sz", "32", "--aead-iv-sz", "12", "--aead-aad-sz", "0", "--digest-sz", "16",
            "--buffer-sz", string.Join(',', sizes), "--burst-sz", "32", "--total-ops", totalOps.ToString(CultureInfo.InvariantCulture), "--csv-friendly");
        // lcore,buffer size,burst,enqueued,dequeued,failed enq,failed deq,Mops,Gbps,cycles/buf
        foreach (var line in text.Split('\n'))
        {
            var f = line.Trim().Split(',');
            if (f.Length >= 10 && int.TryParse(f[1], CultureInfo.InvariantCulture, out var size)
                && double.TryParse(f[7], CultureInfo.InvariantCulture, out var mops))
            {
                result[size] = mops * 1e6;
            }
        }
        return result;
    }

    /// <summary>Deflate compress of text-like 16 KiB segments at <paramref name="level"/>: ops/s (segments per second).</summary>
    public static double? CompressPerf(string pmd, string vdev, int segment, int level, int mainCore, int workerCore, TextWriter log)
    {
        var input = Path.Combine(Path.GetTempPath(), $"fabric-bench-{Environment.ProcessId}-deflate.txt");
        var data = new byte[1 << 20];
        BenchCase.FillInput(data);
        File.WriteAllBytes(input, data);
        try
        {
            var text = Run("dpdk-test-compress-perf", log,
                "-l", $"{mainCore},{workerCore}", "--no-huge", "-m", "512", "--no-pci", "--no-shconf", "--file-prefix", $"fbref-{Environment.ProcessId}-{pmd}",
                "--log-level", "error", "--vdev", vdev, "--",
                "--driver-name", pmd, "--input-file", input, "--seg-sz", segment.ToString(CultureInfo.InvariantCulture),
                "--compress-level", level.ToString(CultureInfo.InvariantCulture), "--num-iter", "50", "--ptest", "throughput");
            // "  lcore  level  comp size  ratio  comp Gbps  decomp Gbps": the row after the header.
            var lines = text.Split('\n');
            var header = Array.FindIndex(lines, l => l.Contains("Comp [Gbps]", StringComparison.Ordinal));
            if (header >= 0 && header + 1 < lines.Length)
            {
                var f = lines[header + 1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (f.Length >= 6 && double.TryParse(f[4], CultureInfo.InvariantCulture, out var gbps))
                {
                    return gbps * 1e9 / 8 / segment;
                }
            }
            log.WriteLine($"ref      dpdk-test-compress-perf {pmd}: no figure in its output");
            return null;
        }
        finally
        {
            File.Delete(input);
        }
    }

    /// <summary>openssl speed -evp aes-256-gcm at <paramref name="size"/>, pinned by taskset: ops/s.</summary>
    public static double? OpensslSpeed(int size, int core, TextWriter log)
    {
        var text = Run("taskset", log, "-c", core.ToString(CultureInfo.InvariantCulture), "openssl", "speed", "-evp", "aes-256-gcm",
            "-bytes", size.ToString(CultureInfo.InvariantCulture), "-seconds", "2", "-mr");
        // +F:<n>:AES-256-GCM:<bytes per second>
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith("+F:", StringComparison.Ordinal)
                && double.TryParse(line[(line.LastIndexOf(':') + 1)..].Trim(), CultureInfo.InvariantCulture, out var bytesPerSec))
            {
                return bytesPerSec / size;
            }
        }
        return null;
    }

    private static string Run(string program, TextWriter log, params string[] args)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }
        try
        {
            using var p = Process.Start(info)!;
            var stdout = new StringBuilder();
            var stderr = p.StandardError.ReadToEndAsync();
            var output = p.StandardOutput.ReadToEndAsync();
            if (!p.WaitForExit(TimeSpan.FromMinutes(3)))
            {
                p.Kill(entireProcessTree: true);
                log.WriteLine($"ref      {program}: no answer within 3 minutes, stopped");
                return "";
            }
            stdout.Append(output.Result);
            if (p.ExitCode != 0)
            {
                log.WriteLine($"ref      {program} exited {p.ExitCode}: {stderr.Result.Trim().Split('\n').LastOrDefault()}");
            }
            return stdout.ToString();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            log.WriteLine($"ref      {program} not found ({e.Message}): apt-get install dpdk openssl");
            return "";
        }
    }
}
