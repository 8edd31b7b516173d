using System.Globalization;
using System.Text.Json.Nodes;
using Fabric.Dataplane.Channel;
using Fabric.Dataplane.Dpdk;
using Fabric.Dataplane.Drivers;
using Fabric.Dataplane.Engine;

namespace Fabric.Bench.Dataplane;

/// <summary>
/// The DPDK benchmark in one run: the same guest workload (guest process on one core, AC on the other) through
/// a channel served by the .NET driver and by each software PMD, the in-process direct calls of each, and the tools'
/// own figures as references: AES-256-GCM at 64 B / 1 KiB / 16 KiB on crypto_aesni_gcm, crypto_aesni_mb and
/// crypto_openssl beside dpdk-test-crypto-perf and openssl speed; deflate level 1 on 16 KiB through compress_isal,
/// compress_zlib and the .NET zlib driver beside dpdk-test-compress-perf. Ratios: channel_vs_direct,
/// channel_vs_openssl, channel_vs_dpdk_perf.
/// </summary>
internal static class DpdkChannelBench
{
    private static readonly (string Vdev, string Pmd)[] s_crypto =
        [("crypto_aesni_gcm0", "crypto_aesni_gcm"), ("crypto_aesni_mb0", "crypto_aesni_mb"), ("crypto_openssl0", "crypto_openssl")];

    private static readonly (string Vdev, string Pmd)[] s_compress = [("compress_isal0", "compress_isal"), ("compress_zlib0", "compress_zlib")];

    private const int DeflateSize = 16 * 1024;
    private const int DeflateLevel = 1;

    internal sealed record Row(string Function, int Size, string Driver, BenchCase Case, Func<IGDriver> Create);

    public static async Task<JsonObject> RunAsync(int guestCore, int acCore, TimeSpan perCase, TextWriter log, DpdkSelection? selection = null)
    {
        selection ??= DpdkSelection.All;
        var cryptoPmds = selection.Pick(s_crypto);
        var compressPmds = selection.RunsDeflate ? selection.Pick(s_compress) : [];
        var sizes = selection.Sizes;
        var options = new DpdkEalOptions
        {
            Vdevs = [.. s_crypto.Select(c => c.Vdev), .. s_compress.Select(c => c.Vdev)],
            MemoryMb = 512,
            FilePrefix = "fabric-bench-" + Environment.ProcessId,
        };
        if (!DpdkEal.TryStart(options, out var reason))
        {
            log.WriteLine($"dpdk     skipped: {reason}");
            return new JsonObject { ["available"] = false, ["reason"] = reason };
        }
        var devices = new Dictionary<string, DpdkDevice>();
        foreach (var (vdev, pmd) in cryptoPmds)
        {
            // A queue pair per channel row (3 sizes), one for direct; mbufs of 20 KiB (the largest op is 16 KiB + its tag), as the zero-copy bench.
            devices[pmd] = Cryptodev.Open(vdev, queuePairs: 4, depth: 256, maxOpBytes: 20 * 1024);
        }
        foreach (var (vdev, pmd) in compressPmds)
        {
            devices[pmd] = Compressdev.Open(vdev, queuePairs: 2, depth: 64);
        }
        try
        {
            var rows = new List<Row>();
            foreach (var size in sizes)
            {
                var c = BenchCase.All.First(b => b.Function == "aes-256-gcm" && b.Size == size);
                if (selection.Runs("dotnet"))
                {
                    rows.Add(new Row("aes-256-gcm", size, "dotnet", c, () => new AesGcmDriver()));
                }
                foreach (var (_, pmd) in cryptoPmds)
                {
                    rows.Add(new Row("aes-256-gcm", size, pmd, c, () => new DpdkGDriver(devices[pmd], "aes-256-gcm")));
                }
            }
            var deflate = new BenchCase("deflate/16KiB", "deflate", DeflateSize, 32);
            if (selection.RunsDeflate && selection.Runs("dotnet"))
            {
                rows.Add(new Row("deflate", DeflateSize, "dotnet", deflate, () => new DeflateDriver(DeflateLevel)));
            }
            foreach (var (_, pmd) in compressPmds)
            {
                rows.Add(new Row("deflate", DeflateSize, pmd, deflate, () => new DpdkGDriver(devices[pmd], "deflate", DeflateLevel)));
            }

            // 1. References first, while no AC thread polls: the tools' main lcore on the guest core, their worker on the AC's.
            var cryptoPerf = new Dictionary<string, Dictionary<int, double>>();
            foreach (var (vdev, pmd) in cryptoPmds)
            {
                cryptoPerf[pmd] = DpdkReference.CryptoPerf(pmd, vdev, sizes, guestCore, acCore, perCase, log);
                log.WriteLine($"ref      dpdk-test-crypto-perf {pmd,-18} " + string.Join("  ", cryptoPerf[pmd].Select(kv => $"{kv.Key} B {kv.Value:N0} ops/s")));
            }
            var openssl = new Dictionary<int, double?>();
            foreach (var size in sizes)
            {
                openssl[size] = DpdkReference.OpensslSpeed(size, acCore, log);
                log.WriteLine($"ref      openssl speed aes-256-gcm {size,6} B {openssl[size] ?? 0:N0} ops/s");
            }
            var compressPerf = new Dictionary<string, double?>();
            foreach (var (vdev, pmd) in compressPmds)
            {
                compressPerf[pmd] = DpdkReference.CompressPerf(pmd, vdev, DeflateSize, DeflateLevel, guestCore, acCore, log);
                log.WriteLine($"ref      dpdk-test-compress-perf {pmd,-16} {compressPerf[pmd] ?? 0:N0} segments/s");
            }

            // 2. Direct: each driver called in-process on the AC's core (DPDK drivers: Execute, one op in flight).
            var direct = new Figures[rows.Count];
            for (var i = 0; i < rows.Count; i++)
            {
                var row = rows[i];
                direct[i] = Pinned.Run(acCore, () => DirectRunner.Run(row.Case, perCase, row.Create), out _);
                log.WriteLine($"direct   {row.Function}/{row.Size}B {row.Driver,-18} {direct[i].OpsPerSec,12:N0} ops/s  p50 {direct[i].P50Nanos,8:N0} ns");
            }

            // 3. Channel: the AC's worker drives each driver through the asynchronous contract; the guest in its own process.
            var channel = await ChannelAsync(rows, guestCore, acCore, perCase, log);

            var entries = new JsonArray();
            for (var i = 0; i < rows.Count; i++)
            {
                var row = rows[i];
                var entry = new JsonObject
                {
                    ["function"] = row.Function,
                    ["size"] = row.Size,
                    ["driver"] = row.Driver,
                    ["channel"] = WithBytes(channel[i], row.Size),
                    ["direct"] = WithBytes(direct[i], row.Size),
                    ["channel_vs_direct"] = Ratio(channel[i].OpsPerSec, direct[i].OpsPerSec),
                };
                if (row.Function == "aes-256-gcm")
                {
                    entry["openssl_speed_ops_per_sec"] = Round(openssl[row.Size]);
                    entry["channel_vs_openssl"] = Ratio(channel[i].OpsPerSec, openssl[row.Size]);
                    if (cryptoPerf.TryGetValue(row.Driver, out var perf) && perf.TryGetValue(row.Size, out var perfOps))
                    {
                        entry["dpdk_perf_ops_per_sec"] = Math.Round(perfOps);
                        entry["channel_vs_dpdk_perf"] = Ratio(channel[i].OpsPerSec, perfOps);
                    }
                }
                else if (compressPerf.TryGetValue(row.Driver, out var segments))
                {
                    entry["dpdk_perf_ops_per_sec"] = Round(segments);
                    entry["channel_vs_dpdk_perf"] = Ratio(channel[i].OpsPerSec, segments);
                }
                entries.Add(entry);
            }
            return new JsonObject
            {
                ["available"] = true,
                ["eal"] = string.Join(' ', options.ToArguments().Skip(1)),
                ["references"] = "dpdk-test-crypto-perf / dpdk-test-compress-perf: -l <guest core>,<AC core> --no-huge -m 512 --no-pci, burst 32, AES-256-GCM encrypt without AAD (each size run for about --seconds-per-case, its op count set from a first pass of 300 000 ops) / deflate level 1 on 16 KiB segments of the same text; openssl speed -evp aes-256-gcm pinned to the AC core",
                ["copies"] = "the DPDK drivers' default zero copy (Auto) from 1 KiB: the device reads the guest's input slot in place and, on a software PMD, writes a seal's output into its slot (opens: copied out after the tag check); below 1 KiB ops are copied; --only dpdk-zero-copy compares copy, input and full zero copy",
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

    internal static async Task<Figures[]> ChannelAsync(IReadOnlyList<Row> rows, int guestCore, int acCore, TimeSpan perCase, TextWriter log)
    {
        var engine = new AccelerationEngine(new EngineOptions { Workers = 1, Cores = [acCore], Nice = Pinned.Nice, Queue = new QueueOptions { OpDeadline = TimeSpan.FromSeconds(30) } });
        var paths = new List<string>();
        try
        {
            await engine.Started;
            var specs = new List<string>();
            for (var i = 0; i < rows.Count; i++)
            {
                var c = rows[i].Case;
                var file = ChannelFile.Create(ChannelFile.PathFor($"bench-dpdk-{Environment.ProcessId}-{i}"), new ChannelGeometry(1024, 1024, c.Depth + 1, (c.OutCapacity + 63) / 64 * 64));
                paths.Add(file.Path);
                var driver = rows[i].Create();
                await engine.AddQueue("dpdk-" + i, file, driver);
                specs.Add(new ChannelGuest.Spec(file.Path, c.Size, c.Depth, c.OutCapacity, driver.RequiresSession, Nop: false).ToString());
            }
            var args = new List<string> { DataplaneCommand.GuestCommandName, "--seconds", perCase.TotalSeconds.ToString(CultureInfo.InvariantCulture), "--core", guestCore.ToString(CultureInfo.InvariantCulture) };
            foreach (var s in specs)
            {
                args.Add("--spec");
                args.Add(s);
            }
            var results = new Figures[rows.Count];
            using (var guest = new ChildProcess([.. args]))
            {
                var budget = TimeSpan.FromSeconds(30 + rows.Count * perCase.TotalSeconds * 3);
                for (var i = 0; i < rows.Count; i++)
                {
                    var line = await guest.Output.ReadLineAsync().WaitAsync(budget)
                        ?? throw new InvalidOperationException("the guest process ended early: " + await guest.StandardError.WaitAsync(TimeSpan.FromSeconds(5)));
                    var node = JsonNode.Parse(line)!;
                    var index = node["index"]!.GetValue<int>();
                    results[index] = Figures.FromJson(node["figures"]!);
                    log.WriteLine($"channel  {rows[index].Function}/{rows[index].Size}B {rows[index].Driver,-18} {results[index].OpsPerSec,12:N0} ops/s  p50 {results[index].P50Nanos,8:N0} ns");
                }
                if (!await guest.WaitForExitAsync(TimeSpan.FromSeconds(10)) || guest.ExitCode != 0)
                {
                    throw new InvalidOperationException("the guest process failed: " + await guest.StandardError.WaitAsync(TimeSpan.FromSeconds(5)));
                }
            }
            for (var i = 0; i < rows.Count; i++)
            {
                var removed = await engine.RemoveQueueAsync("dpdk-" + i, TimeSpan.FromSeconds(1));
                if (removed.FaultReason is { } fault)
                {
                    log.WriteLine($"channel  dpdk-{i} faulted: {fault}");
                }
            }
            return results;
        }
        finally
        {
            await engine.StopAsync();
            foreach (var path in paths)
            {
                File.Delete(path);
            }
        }
    }

    internal static double? Ratio(double value, double? reference) => reference is > 0 ? Math.Round(value / reference.Value, 3) : null;

    private static double? Round(double? value) => value is { } v ? Math.Round(v) : null;

    internal static JsonObject WithBytes(Figures f, int size)
    {
        var json = f.ToJson();
        json["gb_per_sec"] = Math.Round(f.OpsPerSec * size / 1e9, 3);
        return json;
    }
}
