using Fabric.Dataplane.Channel;
using Fabric.Dataplane.Drivers;

namespace Fabric.Dataplane.Tests.Drivers;

/// <summary>Calls a driver directly, the way a worker does, for known-answer tests.</summary>
internal static class DriverHarness
{
    public static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal));

    public static (OpStatus Status, byte[] Output) Run(IGDriver driver, OpCode code, object? session, ReadOnlySpan<byte> input, byte[]? nonce = null, int aad = 0, int capacity = 64 * 1024)
    {
        var output = new byte[capacity];
        var op = new DriverOp(code, session, nonce ?? new byte[12], aad, System.Diagnostics.Stopwatch.GetTimestamp() + System.Diagnostics.Stopwatch.Frequency * 10);
        var status = driver.Execute(op, input, output, out var written);
        return (status, output[..written]);
    }

    public static object? Open(IGDriver driver, byte[] key)
    {
        Assert.Equal(OpStatus.Ok, driver.OpenSession(key, out var session));
        return session;
    }
}
