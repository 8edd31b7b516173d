using Fabric.Dataplane.Channel;
using Fabric.Dataplane.Dpdk;
using Fabric.Dataplane.Drivers;

namespace Fabric.Dataplane.Tests.Dpdk;

/// <summary>
/// Runs a driver's ops on buffers in a real channel's arena, as the AC does, so a DPDK driver bound to that channel
/// (<see cref="IArenaDriver.UseArena"/>) takes its zero-copy path: the input at the arena's start, the output half way.
/// </summary>
internal sealed unsafe class ArenaRunner : IDisposable
{
    private const int SlotSize = 64 * 1024;
    private readonly string _path = TestSupport.NewChannelPath();

    public ArenaRunner()
    {
        Channel = ChannelFile.Create(_path, new ChannelGeometry(2, 2, 4, SlotSize));
        Arena = Channel.Arena ?? throw new InvalidOperationException("a channel this process created has an arena");
    }

    public ChannelFile Channel { get; }

    public ChannelArena Arena { get; }

    public Span<byte> Input => new((void*)Arena.Arena, 2 * SlotSize);

    public Span<byte> Output => new((void*)(Arena.Arena + 2 * SlotSize), 2 * SlotSize);

    /// <summary>A driver on <paramref name="device"/>, bound to this channel unless <paramref name="zeroCopy"/> is Off.</summary>
    public DpdkGDriver Make(DpdkDevice device, string function, DpdkZeroCopy zeroCopy, int level = 6)
    {
        var driver = new DpdkGDriver(device, function, level, zeroCopy, zeroCopyFrom: 0);
        driver.UseArena(Channel.LeaseArena());
        return driver;
    }

    /// <summary>As <see cref="Drivers.DriverHarness.Run"/>, with the buffers in the arena.</summary>
    public (OpStatus Status, byte[] Output) Run(IGDriver driver, OpCode code, object? session, ReadOnlySpan<byte> input, byte[]? nonce = null, int aad = 0, int capacity = 64 * 1024)
    {
        input.CopyTo(Input);
        var output = Output[..capacity];
        output.Fill(0xEE);
        var op = new DriverOp(code, session, nonce ?? new byte[12], aad, System.Diagnostics.Stopwatch.GetTimestamp() + System.Diagnostics.Stopwatch.Frequency * 10);
        var status = driver.Execute(op, Input[..input.Length], output, out var written);
        return (status, output[..written].ToArray());
    }

    public void Dispose() => Channel.DisposeAndDelete();
}
