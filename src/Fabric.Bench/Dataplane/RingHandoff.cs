using System.Runtime.CompilerServices;
using System.Diagnostics;
using Fabric.Dataplane.Channel;
using Fabric.Dataplane.Guest;

namespace Fabric.Bench.Dataplane;

/// <summary>
/// Raw ring handoff between two pinned threads: the guest library produces into a submission ring and
/// a consumer does what the AC's dequeue does (read the tail, copy each 64-byte descriptor out, publish
/// the head) and nothing else. This is the rte_ring-style figure: moving an element between two cores.
/// </summary>
internal static unsafe class RingHandoff
{
    public static (double MessagesPerSec, double NanosPerMessage) Measure(int burst, TimeSpan duration, int producerCore, int consumerCore)
    {
        var path = ChannelFile.PathFor("bench-ring-" + Environment.ProcessId);
        using var channel = ChannelFile.Create(path, new ChannelGeometry(1024, 2, 1, 64));
        try
        {
            using var guest = GuestChannel.Open(path);
            var stop = 0;
            long consumed = 0;
            var consumer = new Thread(() =>
            {
                Pinned.PinHere(consumerCore);
                consumed = Consume(channel, ref stop);
            }) { IsBackground = true };
            consumer.Start();

            var batch = new SubmissionDescriptor[burst];
            for (var i = 0; i < burst; i++)
            {
                batch[i] = new SubmissionDescriptor { Tag = (ulong)i, Op = OpCode.Nop };
            }
            long produced = 0;
            double seconds = 0;
            var producer = new Thread(() =>
            {
                Pinned.PinHere(producerCore);
                var sw = Stopwatch.StartNew();
                var end = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
                while (Stopwatch.GetTimestamp() < end)
                {
                    for (var k = 0; k < 64; k++)
                    {
                        produced += guest.SubmitBatch(batch);
                    }
                }
                // Everything produced is consumed before the clock stops.
                while (guest.PendingSubmissions > 0)
                {
                    Thread.SpinWait(1);
                }
                seconds = sw.Elapsed.TotalSeconds;
                Volatile.Write(ref stop, 1);
            }) { IsBackground = true };
            producer.Start();
            producer.Join();
            consumer.Join();
            if (consumed != produced)
            {
                throw new InvalidOperationException($"ring handoff lost messages: produced {produced}, consumed {consumed}");
            }
            var rate = consumed / seconds;
            return (rate, 1e9 / rate);
        }
        finally
        {
            channel.DisposeAndDelete();
        }
    }

    private static long Consume(ChannelFile channel, ref int stop)
    {
        var b = channel.Base;
        var g = channel.Geometry!.Value;
        var sq = b + g.SqOffset;
        var tailPtr = (ulong*)(b + ChannelLayout.SqTailOffset);
        var headPtr = (ulong*)(b + ChannelLayout.SqHeadOffset);
        var mask = (ulong)g.SqEntries - 1;
        ulong head = 0;
        ulong checksum = 0;
        while (Volatile.Read(ref stop) == 0)
        {
            var tail = Volatile.Read(ref *tailPtr);
            if (tail == head)
            {
                Thread.SpinWait(1);
                continue;
            }
            for (; head != tail; head++)
            {
                var d = Unsafe.ReadUnaligned<SubmissionDescriptor>(sq + (long)((head & mask) * ChannelLayout.SubmissionEntrySize));
                checksum += d.Tag;
            }
            Volatile.Write(ref *headPtr, head);
        }
        GC.KeepAlive(checksum);
        return (long)head;
    }

    /// <summary>Nominal CPU clock from /proc/cpuinfo, to express the handoff in cycles; 0 where unknown.</summary>
    public static double CpuMHz()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/cpuinfo"))
            {
                if (line.StartsWith("cpu MHz", StringComparison.Ordinal))
                {
                    return double.Parse(line[(line.IndexOf(':') + 1)..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
                }
            }
        }
        catch (IOException)
        {
        }
        return 0;
    }
}
