using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Fabric.Testing;

/// <summary>
/// Runs the built programs (fabric-node, fabric-vim, fabric-cmd: beside the tests) as real processes, bounded in
/// time, and always stops them, by pid with their children. <see cref="RunningProcess"/> is the long-running kind.
/// </summary>
internal static class ProcessRunner
{
    /// <summary>How long one command may run before it is killed (a CLI waits at most about a minute for the fabric).</summary>
    public static readonly TimeSpan RunLimit = TimeSpan.FromSeconds(90);

    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public override string ToString() => $"exit code {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
    }

    /// <summary><c>dotnet program.dll args</c> in <paramref name="workingDirectory"/>, its output redirected.</summary>
    public static ProcessStartInfo Dotnet(string program, string workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, program + ".dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return start;
    }

    public static Task<Result> Run(string program, string workingDirectory, params string[] args) => Run(Dotnet(program, workingDirectory, args));

    /// <summary>Runs to its end within <paramref name="limit"/> (<see cref="RunLimit"/> by default); killed if it overstays.</summary>
    public static async Task<Result> Run(ProcessStartInfo start, TimeSpan? limit = null)
    {
        using var process = Process.Start(start)!;
        try
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(limit ?? RunLimit);
            await process.WaitForExitAsync(timeout.Token);
            return new Result(process.ExitCode, await stdout, await stderr);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
