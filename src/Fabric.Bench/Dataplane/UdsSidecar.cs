using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Fabric.Dataplane.Channel;
using Fabric.Dataplane.Drivers;
using HdrHistogram;

namespace Fabric.Bench.Dataplane;

/// <summary>
/// The alternative a user would otherwise build: a sidecar process doing the operation for requests
/// sent over a Unix domain socket, one blocking request/response at a time.
/// Wire format: handshake [u32 length][function name], then requests [u32 length][payload] answered
/// with [u32 length][result]. All integers little-endian.
/// </summary>
internal static class UdsSidecar
{
    /// <summary>Sidecar process: serves connections one after another until killed.</summary>
    public static int Serve(string socketPath, int core)
    {
        ParentWatch.Start();
        Console.Error.WriteLine("sidecar " + Pinned.PinHere(core));
        File.Delete(socketPath);
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(socketPath));
        listener.Listen(4);
        Console.WriteLine("listening");
        Console.Out.Flush();
        var request = new byte[1 << 20];
        var response = new byte[(1 << 20) + 4];
        while (true)
        {
            using var connection = listener.Accept();
            var nameLength = ReadFrame(connection, request);
            if (nameLength < 0)
            {
                continue;
            }
            var benchCase = BenchCase.All.First(c => c.Function == Encoding.UTF8.GetString(request, 0, nameLength));
            using var driver = benchCase.CreateDriver();
            driver.OpenSession(BenchCase.Key, out var session);
            while (true)
            {
                var length = ReadFrame(connection, request);
                if (length < 0)
                {
                    break;
                }
                var op = new DriverOp(OpCode.Forward, session, BenchCase.Nonce, 0, long.MaxValue);
                var status = driver.Execute(op, request.AsSpan(0, length), response.AsSpan(4), out var written);
                if (status != OpStatus.Ok)
                {
                    written = 0;
                }
                BinaryPrimitives.WriteInt32LittleEndian(response, written);
                SendAll(connection, response.AsSpan(0, 4 + written));
            }
        }
    }

    /// <summary>Client side, in the bench process: one request at a time, timed end to end.</summary>
    public static Figures Measure(string socketPath, BenchCase benchCase, TimeSpan duration)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Connect(new UnixDomainSocketEndPoint(socketPath));
        var name = Encoding.UTF8.GetBytes(benchCase.Function);
        var frame = new byte[4 + Math.Max(name.Length, benchCase.Size)];
        BinaryPrimitives.WriteInt32LittleEndian(frame, name.Length);
        name.CopyTo(frame, 4);
        SendAll(socket, frame.AsSpan(0, 4 + name.Length));
        BinaryPrimitives.WriteInt32LittleEndian(frame, benchCase.Size);
        BenchCase.FillInput(frame.AsSpan(4, benchCase.Size));
        var reply = new byte[1 << 20];

        RoundTrips(socket, frame, reply, TimeSpan.FromMilliseconds(300), null);
        var histogram = new LongHistogram(10_000_000_000L, 3);
        var sw = Stopwatch.StartNew();
        long ops = 0;
        double best = 0;
        for (var w = 0; w < Figures.Windows; w++)
        {
            var window = Stopwatch.StartNew();
            var n = RoundTrips(socket, frame, reply, duration / Figures.Windows, histogram);
            best = Math.Max(best, n / window.Elapsed.TotalSeconds);
            ops += n;
        }
        var mean = ops / sw.Elapsed.TotalSeconds;
        socket.Shutdown(SocketShutdown.Both);
        return new Figures(best, mean, histogram.GetValueAtPercentile(50), histogram.GetValueAtPercentile(99), ops, 1, Report.LatencyDistribution.From("", histogram, 1).Values);
    }

    private static long RoundTrips(Socket socket, byte[] frame, byte[] reply, TimeSpan duration, LongHistogram? histogram)
    {
        var nanosPerTick = 1e9 / Stopwatch.Frequency;
        var end = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        long ops = 0;
        var size = BinaryPrimitives.ReadInt32LittleEndian(frame);
        while (Stopwatch.GetTimestamp() < end)
        {
            var t0 = Stopwatch.GetTimestamp();
            SendAll(socket, frame.AsSpan(0, 4 + size));
            var length = ReadFrame(socket, reply);
            if (length <= 0)
            {
                throw new InvalidOperationException("the sidecar failed the operation or hung up");
            }
            histogram?.RecordValue((long)((Stopwatch.GetTimestamp() - t0) * nanosPerTick));
            ops++;
        }
        return ops;
    }

    private static int ReadFrame(Socket socket, byte[] buffer)
    {
        Span<byte> header = stackalloc byte[4];
        if (!ReceiveAll(socket, header))
        {
            return -1;
        }
        var length = BinaryPrimitives.ReadInt32LittleEndian(header);
        if (length < 0 || length > buffer.Length)
        {
            throw new InvalidDataException($"frame of {length} bytes");
        }
        return ReceiveAll(socket, buffer.AsSpan(0, length)) ? length : -1;
    }

    private static bool ReceiveAll(Socket socket, Span<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            var n = socket.Receive(buffer);
            if (n == 0)
            {
                return false;
            }
            buffer = buffer[n..];
        }
        return true;
    }

    private static void SendAll(Socket socket, ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            data = data[socket.Send(data)..];
        }
    }
}
