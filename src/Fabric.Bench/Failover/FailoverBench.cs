using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using Akka.Actor;
using Fabric.Control.Configuration;
using Fabric.Control.Hosting;
using Fabric.Dataplane.Channel;
using Fabric.Dataplane.Guest;
using Fabric.Messages.Attachments;
using Fabric.Messages.Node;
using Fabric.Messages.Placement;
using Fabric.Messages.Profiles;
using Fabric.Node.Compute;
using Fabric.Node.Hio;

namespace Fabric.Bench.Failover;

/// <summary>
/// One-process fabric with the fault-injecting device; a guest thread seals blocks through its channel, a batch
/// in flight at a time, and time-stamps every completion. The device is broken mid-stream; the figures say how
/// many operations failed, that none was lost, how long from the fault to the first success on the new driver,
/// and the throughput before and after.
/// </summary>
public static class FailoverBench
{
    private const int Batch = 8;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    public static async Task<int> RunAsync(TimeSpan phase, int size, bool json, CancellationToken cancellation)
    {
        var stdout = Console.Out;
        if (json)
        {
            Console.SetOut(Console.Error);
        }

        var folder = Path.Combine(Path.GetTempPath(), "fabric-bench-failover-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            var options = new FabricOptions
            {
                Port = 0, NodeName = "bench", Database = Path.Combine(folder, "fabric.db"), LogLevel = "ERROR",
                ExtraHocon = "fabric.node.fault-injection-device = on",
            };
            await using var node = await FabricNode.StartAsync(options, Timeout, cancellation);
            var settings = ComputeSettings.From(node.System.Settings.Config);
            var hio = new HioScanner(Path.Combine(folder, "no-sysfs")).Discover(settings.SoftwareQueuePairs);
            var agent = ComputeRole.Start(node, ComputeRole.Devices("bench", hio, settings), settings);
            while ((await node.Control.Placement!.Ask<CapacitySnapshot>(GetCapacity.Instance, Timeout)).Devices.Count < 3)
            {
                await Task.Delay(20, cancellation);
            }

            await node.Control.Profiles.Ask<ProfileView>(new CreateProfile("failover", [new ProfileGroup("aes-256-gcm", 1)], "p"), Timeout);
            await node.Control.Attachments.Ask<AttachmentView>(new CreateAttachment("arq-failover", "vm-failover", "failover", "c"), Timeout);
            var realized = await agent.Ask<VmRealized>(new SpawnVm("vm-failover", [new VmAccelerator("arq-failover", null)], "s"), Timeout);
            var attachment = realized.Attachments[0];
            var faulty = $"bench/{ComputeRole.FaultInjectingDeviceName}";
            if (attachment.DeviceId != faulty)
            {
                throw new InvalidOperationException($"the stream was placed on {attachment.DeviceId}, not on the fault-injecting device");
            }

            var guest = new StreamingGuest(attachment.Handle!.ChannelPath, size);
            using var stop = new CancellationTokenSource();
            var stream = Task.Factory.StartNew(() => guest.Run(stop.Token), TaskCreationOptions.LongRunning);

            await Task.Delay(phase, cancellation);
            var faultAt = Stopwatch.GetTimestamp();
            guest.MarkFault(faultAt);
            await agent.Ask<NodeDevice>(new InjectDeviceFault(faulty, "throw", "f"), Timeout);
            var deadline = DateTime.UtcNow + Timeout;
            while (guest.FirstOkAfterFault == 0 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(5, cancellation);
            }

            var recoveredAt = guest.FirstOkAfterFault;
            var okAtRecovery = guest.Ok;
            await Task.Delay(phase, cancellation);
            var okAfter = guest.Ok - okAtRecovery;
            var afterSeconds = (Stopwatch.GetTimestamp() - recoveredAt) / (double)Stopwatch.Frequency;
            stop.Cancel();
            await stream;
            var moved = await node.Control.Attachments.Ask<AttachmentView>(new GetAttachment("arq-failover"), Timeout);
            await agent.Ask<VmStopped>(new StopVm("vm-failover", true, "d"), Timeout);

            var figures = new Dictionary<string, object>
            {
                ["op"] = "aes-256-gcm seal",
                ["size_bytes"] = size,
                ["batch"] = Batch,
                ["ops_submitted"] = guest.Submitted,
                ["ops_ok"] = guest.Ok,
                ["ops_error"] = guest.Errors,
                ["ops_lost"] = guest.Submitted - guest.Ok - guest.Errors,
                ["failover_ms"] = recoveredAt == 0 ? -1 : Math.Round((recoveredAt - faultAt) * 1000.0 / Stopwatch.Frequency, 1),
                // What the guest sees of the failover alone: from its first error to its next success (failover_ms also
                // counts the operator's fault injection reaching the driver through the agent and the AC actor).
                ["fault_to_ok_ms"] = recoveredAt == 0 || guest.FirstErrorAfterFault == 0 ? -1 : Math.Round((recoveredAt - guest.FirstErrorAfterFault) * 1000.0 / Stopwatch.Frequency, 3),
                ["throughput_before"] = Math.Round(guest.OkBeforeFault / phase.TotalSeconds, 0),
                ["throughput_after"] = Math.Round(okAfter / afterSeconds, 0),
                ["device_before"] = attachment.DeviceId!,
                ["device_after"] = moved.DeviceId ?? "",
                ["restart_budget"] = settings.RestartBudget,
            };
            if (json)
            {
                stdout.WriteLine(JsonSerializer.Serialize(figures));
            }
            else
            {
                foreach (var (key, value) in figures)
                {
                    stdout.WriteLine($"{key,-20} {value}");
                }
            }

            return (long)figures["ops_lost"] == 0 && recoveredAt != 0 ? 0 : 1;
        }
        finally
        {
            Console.SetOut(stdout);
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    /// <summary>The guest: seals blocks, a batch in flight at a time, and notes the first success after the fault.</summary>
    private sealed class StreamingGuest(string path, int size)
    {
        private long _submitted;
        private long _ok;
        private long _errors;
        private long _faultAt;
        private long _okBeforeFault;
        private long _firstOkAfterFault;
        private long _firstErrorAfterFault;

        public long Submitted => Interlocked.Read(ref _submitted);

        public long Ok => Interlocked.Read(ref _ok);

        public long Errors => Interlocked.Read(ref _errors);

        public long OkBeforeFault => Interlocked.Read(ref _okBeforeFault);

        public long FirstOkAfterFault => Interlocked.Read(ref _firstOkAfterFault);

        /// <summary>When the guest saw the fault: its first error completion.</summary>
        public long FirstErrorAfterFault => Interlocked.Read(ref _firstErrorAfterFault);

        public void MarkFault(long at)
        {
            Interlocked.Exchange(ref _okBeforeFault, Ok);
            Interlocked.Exchange(ref _faultAt, at);
        }

        public void Run(CancellationToken stop)
        {
            using var channel = GuestChannel.Open(path);
            var session = channel.OpenSession(RandomNumberGenerator.GetBytes(32), 0, Timeout);
            for (var i = 0; i < Batch; i++)
            {
                RandomNumberGenerator.Fill(channel.Slot(1 + i)[..size]);
            }

            Span<SubmissionDescriptor> batch = stackalloc SubmissionDescriptor[Batch];
            Span<CompletionEntry> completions = stackalloc CompletionEntry[Batch];
            var tag = 0UL;
            while (!stop.IsCancellationRequested)
            {
                for (var i = 0; i < Batch; i++)
                {
                    batch[i] = new SubmissionDescriptor
                    {
                        Tag = ++tag, Op = OpCode.Forward, Session = session, InSlot = (uint)(1 + i), InLength = (uint)size,
                        OutSlot = (uint)(1 + Batch + i), OutCapacity = (uint)channel.SlotSize,
                    };
                    BitConverter.TryWriteBytes(batch[i].Param, tag);
                }

                var posted = 0;
                while (posted < Batch)
                {
                    posted += channel.SubmitBatch(batch[posted..]);
                }

                Interlocked.Add(ref _submitted, Batch);
                var reaped = 0;
                while (reaped < Batch)
                {
                    var n = channel.Wait(completions[..(Batch - reaped)], Timeout);
                    if (n == 0)
                    {
                        return; // counted as lost: submitted but never completed
                    }

                    for (var i = 0; i < n; i++)
                    {
                        if (completions[i].Status != OpStatus.Ok)
                        {
                            Interlocked.Increment(ref _errors);
                            Interlocked.CompareExchange(ref _firstErrorAfterFault, Stopwatch.GetTimestamp(), 0);
                            continue;
                        }

                        Interlocked.Increment(ref _ok);
                        var faultAt = Interlocked.Read(ref _faultAt);
                        if (faultAt != 0 && Interlocked.Read(ref _firstOkAfterFault) == 0 && Interlocked.Read(ref _errors) > 0)
                        {
                            Interlocked.CompareExchange(ref _firstOkAfterFault, Stopwatch.GetTimestamp(), 0);
                        }
                    }

                    reaped += n;
                }
            }
        }
    }
}
