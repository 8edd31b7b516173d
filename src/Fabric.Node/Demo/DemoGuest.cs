using System.Security.Cryptography;
using Fabric.Dataplane.Channel;
using Fabric.Dataplane.Guest;

namespace Fabric.Node.Demo;

/// <summary>
/// A guest VM's workload: opens its channel, opens a session with a key from its own memory, and streams 4 KiB
/// operations through its queue's chain, a batch in flight at a time, counting every completion.
/// </summary>
public sealed class DemoGuest
{
    private const int Batch = 8;
    private const int Size = 4096;
    private long _submitted;
    private long _ok;
    private long _errors;
    private long _lost;

    public DemoGuest(string vmId, string channelPath)
    {
        VmId = vmId;
        ChannelPath = channelPath;
    }

    public string VmId { get; }

    public string ChannelPath { get; }

    public long Submitted => Interlocked.Read(ref _submitted);

    public long Ok => Interlocked.Read(ref _ok);

    public long Errors => Interlocked.Read(ref _errors);

    public long Lost => Interlocked.Read(ref _lost);

    public Task Run(CancellationToken stop) => Task.Factory.StartNew(() => Stream(stop), TaskCreationOptions.LongRunning);

    private void Stream(CancellationToken stop)
    {
        var timeout = TimeSpan.FromSeconds(10);
        using var channel = GuestChannel.Open(ChannelPath);
        var session = channel.OpenSession(RandomNumberGenerator.GetBytes(32), 0, timeout);
        for (var slot = 1; slot <= Batch; slot++)
        {
            RandomNumberGenerator.Fill(channel.Slot(slot)[..Size]);
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
                    Tag = ++tag, Op = OpCode.Forward, Session = session,
                    InSlot = (uint)(1 + i), InLength = Size,
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
                var n = channel.Wait(completions, timeout);
                if (n == 0)
                {
                    Interlocked.Add(ref _lost, Batch - reaped);
                    return;
                }

                for (var i = 0; i < n; i++)
                {
                    Interlocked.Increment(ref completions[i].Status == OpStatus.Ok ? ref _ok : ref _errors);
                }

                reaped += n;
            }
        }
    }
}
