using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Text;
using Fabric.Dataplane.Channel;
using Fabric.Dataplane.Drivers;
using static Fabric.Dataplane.Tests.Drivers.DriverHarness;

namespace Fabric.Dataplane.Tests.Drivers;

/// <summary>
/// The deflate driver through the AC's asynchronous contract: each Poll compresses at most one slice of input, and the
/// ops finish exactly as a one-call compression would.
/// </summary>
public sealed unsafe class DeflateSliceTests : IDisposable
{
    private readonly List<nint> _buffers = [];

    [Theory]
    [InlineData(0, 256)]
    [InlineData(1, 256)]
    [InlineData(255, 256)]
    [InlineData(4096, 4096)]
    [InlineData(4097, 4096)]
    [InlineData(65536, 4096)]
    [InlineData(65536, 1000)]
    [InlineData(100_000, 8192)]
    public void A_slice_split_op_completes_with_the_same_data_as_one_call(int length, int slice)
    {
        using var driver = new DeflateDriver(sliceBytes: slice);
        var input = Mixed(length, seed: length + slice);
        var oneCall = Run(driver, OpCode.Forward, null, input, capacity: length + 4096);
        Assert.Equal(OpStatus.Ok, oneCall.Status);

        var (inPtr, outPtr) = (Copy(input), Buffer(length + 4096));
        Assert.Equal(1, driver.Submit([Request(7, OpCode.Forward, inPtr, length, outPtr, length + 4096)]));
        var completions = new DriverCompletion[4];
        var polls = 0;
        int n;
        while ((n = driver.Poll(completions)) == 0)
        {
            polls++;
            Assert.True(driver.Progress <= (long)polls * slice, $"{driver.Progress} bytes fed in {polls} polls of {slice}");
            Assert.True(polls <= length / slice + 2, $"the op did not finish in {polls} polls");
        }
        polls++;
        // At most one slice a poll: the op needed every one of them, the worker was free between each.
        Assert.True(polls >= Math.Max(1, (length + slice - 1) / slice), $"{length} bytes in {polls} polls of {slice}");
        Assert.Equal(1, n);
        Assert.Equal(7UL, completions[0].Token);
        Assert.Equal(OpStatus.Ok, completions[0].Status);
        var sliced = new ReadOnlySpan<byte>((void*)outPtr, completions[0].Written).ToArray();
        // The same data, in a stream as good: zlib-ng (the runtime's zlib) picks matches near a slice's end a little
        // differently than with all the input at hand, so the bytes may differ (by under 1 % in size).
        Assert.Equal(input, Run(driver, OpCode.Inverse, null, sliced, capacity: length + 16).Output);
        using (var bcl = new DeflateStream(new MemoryStream(sliced), CompressionMode.Decompress))
        using (var back = new MemoryStream())
        {
            bcl.CopyTo(back);
            Assert.Equal(input, back.ToArray());
        }
        Assert.InRange(sliced.Length, 0, oneCall.Output.Length * 1.01 + 16);
    }

    [Fact]
    public void Small_ops_share_a_slice_and_finish_in_submission_order()
    {
        using var driver = new DeflateDriver(sliceBytes: 4096);
        var requests = new DriverRequest[8];
        var inputs = new byte[8][];
        for (var i = 0; i < requests.Length; i++)
        {
            inputs[i] = Mixed(500, seed: i);
            requests[i] = Request((ulong)(100 + i), OpCode.Forward, Copy(inputs[i]), 500, Buffer(1024), 1024);
        }
        Assert.Equal(8, driver.Submit(requests));
        var completions = new DriverCompletion[16];
        // 8 x 500 bytes fit in one 4096-byte slice.
        Assert.Equal(8, driver.Poll(completions));
        Assert.Equal(1, driver.Slices);
        for (var i = 0; i < requests.Length; i++)
        {
            Assert.Equal((ulong)(100 + i), completions[i].Token);
            Assert.Equal(OpStatus.Ok, completions[i].Status);
            var output = new ReadOnlySpan<byte>((void*)requests[i].Output, completions[i].Written).ToArray();
            Assert.Equal(inputs[i], Run(driver, OpCode.Inverse, null, output).Output);
        }
    }

    [Fact]
    public void A_bulk_queue_hands_over_one_large_op_at_a_time_and_the_rest_waits_in_its_ring()
    {
        using var driver = new DeflateDriver();
        var input = Copy(Mixed(64 * 1024, seed: 3));
        var requests = Enumerable.Range(0, 4).Select(i => Request((ulong)i, OpCode.Forward, input, 64 * 1024, Buffer(70_000), 70_000)).ToArray();
        Assert.Equal(1, driver.Submit(requests));
        Assert.Equal(0, driver.Submit(requests.AsSpan(1)));
    }

    [Fact]
    public void Inverse_bad_streams_small_outputs_and_unknown_ops_are_answered_through_the_sliced_path()
    {
        using var driver = new DeflateDriver(sliceBytes: 1024);
        var text = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("the quick brown fox jumps over the lazy dog. ", 400)));
        var compressed = Run(driver, OpCode.Forward, null, text).Output;
        var random = Mixed(8192, seed: 9, compressible: false);
        var requests = new[]
        {
            Request(1, OpCode.Inverse, Copy(compressed), compressed.Length, Buffer(text.Length), text.Length),
            Request(2, OpCode.Inverse, Copy(Hex("ffffffffffff")), 6, Buffer(64), 64),
            Request(3, OpCode.Forward, Copy(random), random.Length, Buffer(1000), 1000),
            Request(4, OpCode.OpenSession, Copy([1]), 1, Buffer(16), 16),
        };
        Assert.Equal(4, driver.Submit(requests));
        var statuses = new Dictionary<ulong, DriverCompletion>();
        var completions = new DriverCompletion[8];
        for (var polls = 0; statuses.Count < 4; polls++)
        {
            Assert.True(polls < 100, "the ops did not finish");
            var n = driver.Poll(completions);
            for (var i = 0; i < n; i++)
            {
                statuses[completions[i].Token] = completions[i];
            }
        }
        Assert.Equal(OpStatus.Ok, statuses[1].Status);
        Assert.Equal(text, new ReadOnlySpan<byte>((void*)requests[0].Output, statuses[1].Written).ToArray());
        Assert.Equal(OpStatus.BadInput, statuses[2].Status);
        Assert.Equal(OpStatus.OutputTooSmall, statuses[3].Status);
        Assert.Equal(0, statuses[3].Written);
        Assert.Equal(OpStatus.Unsupported, statuses[4].Status);
    }

    [Fact]
    public void An_abandoned_op_is_never_written_again_nor_answered_and_the_next_op_is_whole()
    {
        using var driver = new DeflateDriver(sliceBytes: 1024);
        var big = Mixed(60 * 1024, seed: 5, compressible: false);
        var small = Mixed(3000, seed: 6);
        var abandonedOut = Buffer(70_000);
        var requests = new[]
        {
            Request(1, OpCode.Forward, Copy(big), big.Length, abandonedOut, 70_000),
            Request(2, OpCode.Forward, Copy(small), small.Length, Buffer(4096), 4096),
        };
        Assert.Equal(2, driver.Submit(requests));
        var completions = new DriverCompletion[4];
        Assert.Equal(0, driver.Poll(completions));
        Assert.Equal(0, driver.Poll(completions));
        Assert.True(driver.Progress > 0);
        driver.Abandon(1);
        Assert.Equal(0, driver.Progress);
        var snapshot = new ReadOnlySpan<byte>((void*)abandonedOut, 70_000).ToArray();
        var answered = new List<DriverCompletion>();
        for (var polls = 0; answered.Count == 0; polls++)
        {
            Assert.True(polls < 100, "the next op did not finish");
            var n = driver.Poll(completions);
            answered.AddRange(completions.AsSpan(0, n).ToArray());
        }
        Assert.Equal(snapshot, new ReadOnlySpan<byte>((void*)abandonedOut, 70_000).ToArray());
        var only = Assert.Single(answered);
        Assert.Equal(2UL, only.Token);
        Assert.Equal(OpStatus.Ok, only.Status);
        Assert.Equal(small, Run(driver, OpCode.Inverse, null, new ReadOnlySpan<byte>((void*)requests[1].Output, only.Written)).Output);
    }

    /// <summary>Text with repeats and some noise (or noise only): a realistic mix for zlib's matcher.</summary>
    private static byte[] Mixed(int length, int seed, bool compressible = true)
    {
        var data = new byte[length];
        var random = new Random(seed);
        random.NextBytes(data);
        if (compressible)
        {
            var text = Encoding.ASCII.GetBytes("pack my box with five dozen liquor jugs; the quick brown fox. ");
            for (var i = 0; i < length; i++)
            {
                if (random.Next(8) != 0)
                {
                    data[i] = text[i % text.Length];
                }
            }
        }
        return data;
    }

    private static DriverRequest Request(ulong token, OpCode code, nint input, int inputLength, nint output, int capacity) => new()
    {
        Token = token, Code = code, Input = input, InputLength = inputLength, Output = output, OutputCapacity = capacity,
        DeadlineTimestamp = long.MaxValue,
    };

    private nint Copy(byte[] data)
    {
        var p = Buffer(data.Length);
        data.CopyTo(new Span<byte>((void*)p, data.Length));
        return p;
    }

    private nint Buffer(int length)
    {
        var p = (nint)NativeMemory.AllocZeroed((nuint)Math.Max(1, length));
        _buffers.Add(p);
        return p;
    }

    public void Dispose()
    {
        foreach (var p in _buffers)
        {
            NativeMemory.Free((void*)p);
        }
    }
}
