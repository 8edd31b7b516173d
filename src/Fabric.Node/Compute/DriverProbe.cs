using System.Diagnostics;
using Fabric.Dataplane.Channel;
using Fabric.Dataplane.Drivers;

namespace Fabric.Node.Compute;

/// <summary>Runs one known operation on a driver instance: a device whose probe passes can take work again.</summary>
public static class DriverProbe
{
    public static string? Run(IGDriver driver)
    {
        try
        {
            object? session = null;
            if (driver.RequiresSession)
            {
                var status = driver.OpenSession(new byte[32], out session);
                if (status != OpStatus.Ok)
                {
                    return $"open session: {status}";
                }
            }

            var input = new byte[256];
            var output = new byte[4096];
            var op = new DriverOp(OpCode.Forward, session, new byte[SubmissionDescriptor.NonceSize], 0,
                Stopwatch.GetTimestamp() + Stopwatch.Frequency);
            var result = driver.Execute(op, input, output, out _);
            driver.CloseSession(session);
            return result == OpStatus.Ok ? null : $"probe op: {result}";
        }
        catch (Exception ex)
        {
            return $"probe op threw {ex.GetType().Name}: {ex.Message}";
        }
    }
}
