using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace Fabric.Guest.Tests;

/// <summary>The built fabric-guest as a separate process, the way a VM runs it: its own mapping of the channel.</summary>
public sealed class ProcessTests
{
    private const int SigInt = 2;

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);

    private static Process Start(params string[] args)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "fabric-guest.dll");
        Assert.True(File.Exists(dll), $"{dll} is missing: the test project must reference src/Fabric.Guest");
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (string.IsNullOrEmpty(host) || !File.Exists(host))
        {
            host = Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : "dotnet";
        }
        var info = new ProcessStartInfo(host)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
        };
        info.ArgumentList.Add(dll);
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }
        return Process.Start(info) ?? throw new InvalidOperationException("could not start " + host);
    }

    private static void KillIfRunning(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Exited between the check and the kill.
        }
        process.Dispose();
    }

    [Fact]
    public async Task The_built_fabric_guest_runs_a_pipeline_and_prints_its_json_summary()
    {
        await using var rig = new GuestRig("aes-256-gcm->sha256");
        var process = Start("run", "--channel", rig.Path, "--op", "pipeline-roundtrip", "--count", "2000", "--batch", "16", "--json");
        try
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync().WaitAsync(GuestRig.Patience);
            var output = await stdout;

            Assert.True(process.ExitCode == GuestExitCodes.Ok, $"exit {process.ExitCode}: {await stderr}");
            using var json = JsonDocument.Parse(output);
            var root = json.RootElement;
            Assert.Equal(2000, root.GetProperty("ops_submitted").GetInt64());
            Assert.Equal(2000, root.GetProperty("ops_ok").GetInt64());
            Assert.Equal(0, root.GetProperty("ops_error").GetInt64());
            Assert.Equal(0, root.GetProperty("ops_lost").GetInt64());
            Assert.Equal(0, root.GetProperty("integrity_failures").GetInt64());
            Assert.True(root.GetProperty("ops_per_s").GetDouble() > 0);
            Assert.True(root.GetProperty("p99_us").GetDouble() >= root.GetProperty("p50_us").GetDouble());
        }
        finally
        {
            KillIfRunning(process);
        }
    }

    [Fact]
    public async Task Ctrl_C_stops_the_process_cleanly_with_its_summary()
    {
        await using var rig = new GuestRig("aes-256-gcm");
        var process = Start("run", "--channel", rig.Path, "--duration", "1m", "--progress-interval", "100ms");
        try
        {
            var output = new StringBuilder();
            var progressed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            process.OutputDataReceived += (_, e) =>
            {
                if (e.Data is null)
                {
                    return;
                }
                lock (output)
                {
                    output.AppendLine(e.Data);
                }
                if (e.Data.Contains("ops/s", StringComparison.Ordinal))
                {
                    progressed.TrySetResult();
                }
            };
            process.BeginOutputReadLine();
            var stderr = process.StandardError.ReadToEndAsync();
            await progressed.Task.WaitAsync(GuestRig.Patience);

            Assert.Equal(0, kill(process.Id, SigInt));
            await process.WaitForExitAsync().WaitAsync(GuestRig.Patience);

            string text;
            lock (output)
            {
                text = output.ToString();
            }
            Assert.True(process.ExitCode == GuestExitCodes.Ok, $"exit {process.ExitCode}: {await stderr}\n{text}");
            Assert.Contains("cancelled", text);
            Assert.Contains("ops lost", text);
        }
        finally
        {
            KillIfRunning(process);
        }
    }
}
