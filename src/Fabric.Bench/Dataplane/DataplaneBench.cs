using System.Text.Json;
using System.Text.Json.Nodes;
using Fabric.Dataplane.Channel;
using Fabric.Dataplane.Drivers;
using Fabric.Dataplane.Engine;

namespace Fabric.Bench.Dataplane;

/// <summary>
/// The dataplane topic: for each case, the operation done directly in-process, through the channel to
/// a pinned AC worker from a guest process, and through a Unix-socket sidecar; plus the empty-op round
/// trip and the raw ring handoff. One JSON object with every figure and the ratios.
/// </summary>
internal sealed class DataplaneBench(TimeSpan perCase, TextWriter log)
{
    private const double ChannelVsDirectTarget = 0.85;
    private const double UdsVsChannelP50Target = 20;

    public async Task<JsonObject> RunAsync()
    {
        var (guestCore, acCore) = Pinned.Cores;
        var cases = BenchCase.All;
        var loadBefore = LoadAverage();

        // 1. Direct, on the core the AC will use, before any AC thread exists.
        var direct = new Figures[cases.Count];
        var directPin = "";
        for (var i = 0; i < cases.Count; i++)
        {
            var c = cases[i];
            direct[i] = Pinned.Run(acCore, () => DirectRunner.Run(c, perCase), out directPin);
            log.WriteLine($"direct   {c.Name,-36} {direct[i].OpsPerSec,12:N0} ops/s  p50 {direct[i].P50Nanos,8:N0} ns  p99 {direct[i].P99Nanos,8:N0} ns");
        }

        // 2. Unix-socket sidecar: sidecar process on the AC core, client here on the guest core.
        var uds = new Figures[cases.Count];
        var socketPath = Path.Combine(Path.GetTempPath(), $"fabric-bench-{Environment.ProcessId}.sock");
        using (var sidecar = new ChildProcess(DataplaneCommand.SidecarCommandName, "--socket", socketPath, "--core", acCore.ToString(System.Globalization.CultureInfo.InvariantCulture)))
        {
            var ready = await sidecar.Output.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
            if (ready != "listening")
            {
                throw new InvalidOperationException("the UDS sidecar did not start: " + ready + " " + await sidecar.StandardError);
            }
            for (var i = 0; i < cases.Count; i++)
            {
                var c = cases[i];
                uds[i] = Pinned.Run(guestCore, () => UdsSidecar.Measure(socketPath, c, perCase), out _);
                log.WriteLine($"uds      {c.Name,-36} {uds[i].OpsPerSec,12:N0} ops/s  p50 {uds[i].P50Nanos,8:N0} ns  p99 {uds[i].P99Nanos,8:N0} ns");
            }
        }
        File.Delete(socketPath);

        // 3. Channel: one pinned AC worker here, the guest in its own process on the other core.
        var channel = new Figures[cases.Count];
        Figures nop;
        string acPin;
        string guestPin = "";
        // A generous op deadline: on a shared 2-core machine a descheduled worker must not turn into failed ops.
        var engine = new AccelerationEngine(new EngineOptions { Workers = 1, Cores = [acCore], Nice = Pinned.Nice, Queue = new QueueOptions { OpDeadline = TimeSpan.FromSeconds(30) } });
        var channelPaths = new List<string>();
        try
        {
            await engine.Started;
            acPin = engine.Workers[0].PinMessage;
            var specs = new List<string>();
            for (var i = 0; i < cases.Count; i++)
            {
                var c = cases[i];
                var geometry = new ChannelGeometry(1024, 1024, c.Depth + 1, (int)ChannelLayoutSlot(c.OutCapacity));
                var file = ChannelFile.Create(ChannelFile.PathFor($"bench-{Environment.ProcessId}-{i}"), geometry);
                channelPaths.Add(file.Path);
                var driver = c.CreateDriver();
                await engine.AddQueue("case-" + i, file, driver);
                specs.Add(new ChannelGuest.Spec(file.Path, c.Size, c.Depth, c.OutCapacity, driver.RequiresSession, Nop: false).ToString());
            }
            var nopFile = ChannelFile.Create(ChannelFile.PathFor($"bench-{Environment.ProcessId}-nop"), new ChannelGeometry(256, 256, 2, 4096));
            channelPaths.Add(nopFile.Path);
            await engine.AddQueue("nop", nopFile, new Crc32CDriver());
            specs.Add(new ChannelGuest.Spec(nopFile.Path, 0, 64, 0, Keyed: false, Nop: true).ToString());

            var args = new List<string> { DataplaneCommand.GuestCommandName, "--seconds", perCase.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture), "--core", guestCore.ToString(System.Globalization.CultureInfo.InvariantCulture) };
            foreach (var s in specs)
            {
                args.Add("--spec");
                args.Add(s);
            }
            var results = new Figures[specs.Count];
            using (var guest = new ChildProcess([.. args]))
            {
                var budget = TimeSpan.FromSeconds(30 + specs.Count * perCase.TotalSeconds * 3);
                for (var i = 0; i < specs.Count; i++)
                {
                    var line = await guest.Output.ReadLineAsync().WaitAsync(budget);
                    if (line is null)
                    {
                        throw new InvalidOperationException("the guest process ended early: " + await guest.StandardError.WaitAsync(TimeSpan.FromSeconds(5)));
                    }
                    var node = JsonNode.Parse(line)!;
                    results[node["index"]!.GetValue<int>()] = Figures.FromJson(node["figures"]!);
                    guestPin = node["pin"]!.GetValue<string>();
                    if (i < cases.Count)
                    {
                        log.WriteLine($"channel  {cases[i].Name,-36} {results[i].OpsPerSec,12:N0} ops/s  p50 {results[i].P50Nanos,8:N0} ns  p99 {results[i].P99Nanos,8:N0} ns");
                    }
                }
                if (!await guest.WaitForExitAsync(TimeSpan.FromSeconds(10)) || guest.ExitCode != 0)
                {
                    throw new InvalidOperationException("the guest process failed: " + await guest.StandardError.WaitAsync(TimeSpan.FromSeconds(5)));
                }
            }
            Array.Copy(results, channel, cases.Count);
            nop = results[^1];
            log.WriteLine($"channel  empty op round trip p50 {nop.P50Nanos:N0} ns  p99 {nop.P99Nanos:N0} ns, {nop.OpsPerSec:N0} round trips/s at depth {nop.Depth}");
            for (var i = 0; i < cases.Count; i++)
            {
                await engine.RemoveQueueAsync("case-" + i, TimeSpan.FromSeconds(1));
            }
            await engine.RemoveQueueAsync("nop", TimeSpan.FromSeconds(1));
        }
        finally
        {
            await engine.StopAsync();
            foreach (var path in channelPaths)
            {
                File.Delete(path);
            }
        }

        // 4. Raw ring handoff between the two cores.
        var (burstRate, burstNs) = RingHandoff.Measure(32, perCase, guestCore, acCore);
        var (singleRate, singleNs) = RingHandoff.Measure(1, perCase, guestCore, acCore);
        var mhz = RingHandoff.CpuMHz();
        log.WriteLine($"ring     handoff {burstRate:N0} msgs/s in bursts of 32 ({burstNs:F1} ns/msg), {singleRate:N0} msgs/s one at a time");

        var json = new JsonObject
        {
            ["topic"] = "dataplane",
            ["seconds_per_case"] = perCase.TotalSeconds,
            ["machine"] = new JsonObject
            {
                ["processors"] = Environment.ProcessorCount,
                ["cpu_mhz"] = mhz,
                ["ac_core"] = acCore,
                ["guest_core"] = guestCore,
                ["ac_pin"] = acPin,
                ["guest_pin"] = guestPin,
                ["direct_pin"] = directPin,
                // Other work on a 2-core machine skews the channel (which needs both cores) the most.
                ["loadavg_1m_before"] = loadBefore,
                ["loadavg_1m_after"] = LoadAverage(),
            },
        };
        var caseArray = new JsonArray();
        var allMet = true;
        for (var i = 0; i < cases.Count; i++)
        {
            var c = cases[i];
            var channelVsDirect = channel[i].OpsPerSec / direct[i].OpsPerSec;
            var udsVsChannel = (double)uds[i].P50Nanos / Math.Max(1, channel[i].P50Nanos);
            var throughputMet = channelVsDirect >= ChannelVsDirectTarget;
            var latencyMet = c.Size != 64 || udsVsChannel >= UdsVsChannelP50Target;
            allMet &= throughputMet && latencyMet;
            caseArray.Add(new JsonObject
            {
                ["name"] = c.Name,
                ["function"] = c.Function,
                ["size"] = c.Size,
                ["direct"] = direct[i].ToJson(),
                ["channel"] = channel[i].ToJson(),
                ["uds_sidecar"] = uds[i].ToJson(),
                ["channel_vs_direct"] = Math.Round(channelVsDirect, 3),
                ["uds_vs_channel_p50"] = Math.Round(udsVsChannel, 1),
                ["channel_vs_direct_target"] = ChannelVsDirectTarget,
                ["uds_vs_channel_p50_target"] = c.Size == 64 ? UdsVsChannelP50Target : null,
                ["targets_met"] = throughputMet && latencyMet,
            });
        }
        json["cases"] = caseArray;
        json["empty_op_round_trip"] = new JsonObject
        {
            ["p50_ns"] = nop.P50Nanos,
            ["p99_ns"] = nop.P99Nanos,
            ["round_trips_per_sec_at_depth"] = Math.Round(nop.OpsPerSec),
            ["depth"] = nop.Depth,
        };
        json["ring_handoff"] = new JsonObject
        {
            ["msgs_per_sec_burst32"] = Math.Round(burstRate),
            ["ns_per_msg_burst32"] = Math.Round(burstNs, 2),
            ["cycles_per_msg_burst32"] = mhz > 0 ? Math.Round(burstNs * mhz / 1000, 1) : null,
            ["msgs_per_sec_single"] = Math.Round(singleRate),
            ["ns_per_msg_single"] = Math.Round(singleNs, 2),
            ["cycles_per_msg_single"] = mhz > 0 ? Math.Round(singleNs * mhz / 1000, 1) : null,
        };
        json["targets_met"] = allMet;

        // 5. What the AEAD open's scratch copy costs: straight into the output vs scratch + verify + copy.
        json["aead_open_copy"] = AeadOpenCopyBench.Run(acCore, perCase, log);

        // 6. DPDK: channel vs direct vs the tools' own figures (last: EAL stays for the process).
        json["dpdk"] = await DpdkChannelBench.RunAsync(guestCore, acCore, perCase, log);
        return json;
    }

    /// <summary>Only the DPDK section (<c>--only dpdk</c>).</summary>
    public async Task<JsonObject> RunDpdkOnlyAsync(bool zeroCopy = false, DpdkSelection? selection = null)
    {
        var (guestCore, acCore) = Pinned.Cores;
        var loadBefore = LoadAverage();
        var result = zeroCopy
            ? await DpdkZeroCopyBench.RunAsync(guestCore, acCore, perCase, log, selection)
            : await DpdkChannelBench.RunAsync(guestCore, acCore, perCase, log, selection);
        return new JsonObject
        {
            ["topic"] = "dataplane",
            ["only"] = zeroCopy ? "dpdk-zero-copy" : "dpdk",
            ["seconds_per_case"] = perCase.TotalSeconds,
            ["sizes"] = new JsonArray([.. (selection ?? DpdkSelection.All).Sizes.Select(s => (JsonNode?)s)]),
            ["drivers"] = new JsonArray([.. ((selection ?? DpdkSelection.All).Drivers ?? DpdkSelection.AllDrivers).Select(d => (JsonNode?)d)]),
            ["machine"] = new JsonObject
            {
                ["processors"] = Environment.ProcessorCount,
                ["guest_core"] = guestCore,
                ["ac_core"] = acCore,
                ["loadavg_1m_before"] = loadBefore,
                ["loadavg_1m_after"] = LoadAverage(),
            },
            [zeroCopy ? "dpdk_zero_copy" : "dpdk"] = result,
        };
    }

    /// <summary>Only the AEAD open copy cost (<c>--only aead-open</c>): a quick run of one section.</summary>
    public JsonObject RunAeadOpenOnly()
    {
        var (guestCore, acCore) = Pinned.Cores;
        var loadBefore = LoadAverage();
        var result = AeadOpenCopyBench.Run(acCore, perCase, log);
        return new JsonObject
        {
            ["topic"] = "dataplane",
            ["only"] = "aead-open",
            ["seconds_per_case"] = perCase.TotalSeconds,
            ["machine"] = new JsonObject
            {
                ["processors"] = Environment.ProcessorCount,
                ["ac_core"] = acCore,
                ["loadavg_1m_before"] = loadBefore,
                ["loadavg_1m_after"] = LoadAverage(),
            },
            ["aead_open_copy"] = result,
        };
    }

    private static double LoadAverage()
    {
        try
        {
            var text = File.ReadAllText("/proc/loadavg");
            return double.Parse(text[..text.IndexOf(' ')], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return -1;
        }
    }

    private static long ChannelLayoutSlot(int capacity) => (capacity + 63) / 64 * 64;

    // Relaxed escaping keeps "->" readable in pipeline names; the output is not embedded in HTML.
    public static string Format(JsonObject json) => json.ToJsonString(new JsonSerializerOptions
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
