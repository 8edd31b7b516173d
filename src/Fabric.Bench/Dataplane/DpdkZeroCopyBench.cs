using System.Text.Json.Nodes;
using Fabric.Dataplane.Dpdk;
using Fabric.Dataplane.Drivers;

namespace Fabric.Bench.Dataplane;

/// <summary>
/// Copy vs zero copy through a channel in one run (<c>--only dpdk-zero-copy</c>): the same guest workload (guest process
/// on one core, AC on the other) through a channel served by each software PMD three ways, <see cref="DpdkZeroCopy.Off"/>
/// (every op copied into an mbuf and out), <see cref="DpdkZeroCopy.Input"/> (the device reads the input slot, the
/// output is copied out) and <see cref="DpdkZeroCopy.Full"/> (the device writes the output slot too). The three modes
/// of one size run back to back in one guest process, so the load they see is as alike as this machine allows.
/// Ratios: zero_copy_vs_copy (Full / Off) and zero_copy_input_vs_copy (Input / Off).
/// </summary>
internal static class DpdkZeroCopyBench
{
    private static readonly (string Vdev, string Pmd)[] s_crypto =
        [("crypto_aesni_gcm0", "crypto_aesni_gcm"), ("crypto_aesni_mb0", "crypto_aesni_mb"), ("crypto_openssl0", "crypto_openssl")];

    private static readonly (string Vdev, string Pmd)[] s_compress = [("compress_isal0", "compress_isal"), ("compress_zlib0", "compress_zlib")];

    private static readonly DpdkZeroCopy[] s_modes = [DpdkZeroCopy.Off, DpdkZeroCopy.Input, DpdkZeroCopy.Full];

    /// <summary>The driver-alone loop's modes: the three pure ones and the default (Auto from 1 KiB: input zero copy, seals on software PMDs full; copy below).</summary>
    private static readonly (string Name, DpdkZeroCopy Mode, int From)[] s_loopModes =
        [("copy", DpdkZeroCopy.Off, 0), ("input", DpdkZeroCopy.Input, 0), ("full", DpdkZeroCopy.Full, 0), ("default", DpdkZeroCopy.Auto, DpdkGDriver.DefaultZeroCopyFrom)];

    public static async Task<JsonObject> RunAsync(int guestCore, int acCore, TimeSpan perCase, TextWriter log, DpdkSelection? selection = null)
    {
        selection ??= DpdkSelection.All;
        var cryptoPmds = selection.Pick(s_crypto);
        var compressPmds = selection.RunsDeflate ? selection.Pick(s_compress) : [];
        var options = new DpdkEalOptions
        {
            Vdevs = [.. s_crypto.Select(c => c.Vdev), .. s_compress.Select(c => c.Vdev)],
            MemoryMb = 512,
            FilePrefix = "fabric-bench-" + Environment.ProcessId,
        };
        if (!DpdkEal.IsRunning && !DpdkEal.TryStart(options, out var reason))
        {
            log.WriteLine($"dpdk     skipped: {reason}");
            return new JsonObject { ["available"] = false, ["reason"] = reason };
        }
        var devices = new Dictionary<string, DpdkDevice>();
        try
        {
            foreach (var (vdev, pmd) in cryptoPmds)
            {
                // One queue pair per mode of a size; mbufs of 20 KiB (the largest op is 16 KiB + its tag) keep the pools in -m 512.
                devices[pmd] = Cryptodev.Open(vdev, queuePairs: 3, depth: 128, maxOpBytes: 20 * 1024);
            }
            foreach (var (vdev, pmd) in compressPmds)
            {
                devices[pmd] = Compressdev.Open(vdev, queuePairs: 3, depth: 64, maxOpBytes: 20 * 1024);
            }
            var batches = new List<(string Function, int Size, BenchCase Case, (string Vdev, string Pmd)[] Pmds, string Level)>();
            foreach (var size in cryptoPmds.Length > 0 ? selection.Sizes : [])
            {
                batches.Add(("aes-256-gcm", size, BenchCase.All.First(b => b.Function == "aes-256-gcm" && b.Size == size), cryptoPmds, ""));
            }
            if (compressPmds.Length > 0)
            {
                batches.Add(("deflate", 16 * 1024, new BenchCase("deflate/16KiB", "deflate", 16 * 1024, 32), compressPmds, "level 1"));
            }
            var entries = new JsonArray();
            foreach (var batch in batches)
            {
                var rows = new List<DpdkChannelBench.Row>();
                var made = new DpdkGDriver?[batch.Pmds.Length * s_modes.Length];
                foreach (var (_, pmd) in batch.Pmds)
                {
                    foreach (var mode in s_modes)
                    {
                        var index = rows.Count;
                        rows.Add(new DpdkChannelBench.Row(batch.Function, batch.Size, pmd, batch.Case, () =>
                            made[index] = batch.Function == "deflate" ? new DpdkGDriver(devices[pmd], "deflate", 1, mode, zeroCopyFrom: 0) : new DpdkGDriver(devices[pmd], batch.Function, zeroCopy: mode, zeroCopyFrom: 0)));
                    }
                }
                // The driver alone first (no guest, one thread on the AC's core): its CPU time per op resists the load.
                var loops = new Dictionary<string, JsonObject>();
                if (batch.Function != "deflate")
                {
                    foreach (var (_, pmd) in batch.Pmds)
                    {
                        var loop = new JsonObject();
                        foreach (var (name, mode, from) in s_loopModes)
                        {
                            var figure = Pinned.Run(acCore, () => DpdkDriverLoop.Run(() => new DpdkGDriver(devices[pmd], batch.Function, zeroCopy: mode, zeroCopyFrom: from), batch.Size, perCase / 2), out _);
                            loop[name] = figure;
                        }
                        log.WriteLine($"driver   {batch.Function}/{batch.Size}B {pmd,-18} cpu ns/op " + string.Join("  ", s_loopModes.Select(m => $"{m.Name} {loop[m.Name]!["cpu_ns_per_op"]}")));
                        loops[pmd] = loop;
                    }
                }
                var figures = await DpdkChannelBench.ChannelAsync(rows, guestCore, acCore, perCase, log);
                for (var p = 0; p < batch.Pmds.Length; p++)
                {
                    var off = figures[p * s_modes.Length];
                    var input = figures[p * s_modes.Length + 1];
                    var full = figures[p * s_modes.Length + 2];
                    var entry = new JsonObject
                    {
                        ["function"] = batch.Function,
                        ["size"] = batch.Size,
                        ["driver"] = batch.Pmds[p].Pmd,
                        ["device_zero_copy"] = devices[batch.Pmds[p].Pmd].ZeroCopy,
                        ["copy"] = DpdkChannelBench.WithBytes(off, batch.Size),
                        ["zero_copy_input"] = DpdkChannelBench.WithBytes(input, batch.Size),
                        ["zero_copy_full"] = DpdkChannelBench.WithBytes(full, batch.Size),
                        ["zero_copy_ops"] = new JsonArray(s_modes.Select((_, m) => (JsonNode?)(made[p * s_modes.Length + m]?.ZeroCopyOps ?? 0)).ToArray()),
                        ["zero_copy_input_vs_copy"] = DpdkChannelBench.Ratio(input.OpsPerSec, off.OpsPerSec),
                        ["zero_copy_vs_copy"] = DpdkChannelBench.Ratio(full.OpsPerSec, off.OpsPerSec),
                    };
                    if (loops.TryGetValue(batch.Pmds[p].Pmd, out var driverLoop))
                    {
                        entry["driver_loop"] = driverLoop;
                    }
                    log.WriteLine($"zerocopy {batch.Function}/{batch.Size}B {batch.Pmds[p].Pmd,-18} copy {off.OpsPerSec,10:N0}  input {input.OpsPerSec,10:N0}  full {full.OpsPerSec,10:N0} ops/s  full/copy {entry["zero_copy_vs_copy"]}");
                    entries.Add(entry);
                }
            }
            return new JsonObject
            {
                ["available"] = true,
                ["eal"] = string.Join(' ', options.ToArguments().Skip(1)),
                ["driver_loop"] = "the driver alone on the AC's core, no guest: bursts of 32 seals on a channel's arena, Submit then Poll until back; cpu_ns_per_op is the thread's CPU time (CLOCK_THREAD_CPUTIME_ID) per op, little disturbed by other load; default = Auto (input zero copy, seals full on software PMDs) from DpdkGDriver.DefaultZeroCopyFrom, copy below",
                ["modes"] = "copy: every op copied into an mbuf and its output back; zero_copy_input: the device reads the guest's input slot (an mbuf attached to it), the output is copied out; zero_copy_full: the device also writes the output slot (no copy); zero_copy_ops: ops that went zero copy per mode (copy, input, full)",
                ["rows"] = entries,
            };
        }
        finally
        {
            foreach (var device in devices.Values)
            {
                device.Dispose();
            }
        }
    }
}
