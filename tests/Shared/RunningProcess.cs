using System.Diagnostics;

namespace Fabric.Testing;

/// <summary>
/// A long-running program (a fabric-node) as a real process: its output (stdout and stderr, line by line) kept for
/// the test's messages and for lines it waits for; stopped by its pid, with the processes it started, when disposed.
/// </summary>
internal sealed class RunningProcess : IAsyncDisposable
{
    private readonly List<string> _lines = [];
    private readonly List<(Func<string, string?> Match, TaskCompletionSource<string> Found)> _waiting = [];
    private readonly string _name;
    private bool _ended;
    private int _exitCode;

    private RunningProcess(ProcessStartInfo start)
    {
        _name = Path.GetFileNameWithoutExtension(start.ArgumentList.FirstOrDefault(a => a.EndsWith(".dll", StringComparison.Ordinal)) ?? start.FileName);
        Process = new Process { StartInfo = start, EnableRaisingEvents = true };
        Process.OutputDataReceived += (_, e) => OnLine(e.Data);
        Process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        Process.Exited += (_, _) => Task.Run(OnExit);
    }

    public Process Process { get; }

    public bool HasExited => Process.HasExited;

    /// <summary>Everything it printed so far.</summary>
    public string Output
    {
        get
        {
            lock (_lines)
            {
                return string.Join('\n', _lines);
            }
        }
    }

    public static RunningProcess Start(ProcessStartInfo start)
    {
        var running = new RunningProcess(start);
        running.Process.Start();
        running.Process.BeginOutputReadLine();
        running.Process.BeginErrorReadLine();
        return running;
    }

    /// <summary>A built program beside the tests (<see cref="ProcessRunner.Dotnet"/>).</summary>
    public static RunningProcess Dotnet(string program, string workingDirectory, params string[] args) =>
        Start(ProcessRunner.Dotnet(program, workingDirectory, args));

    /// <summary>
    /// What <paramref name="match"/> finds (not null) in the first line, printed already or to come, that it matches;
    /// fails with the output if the process ends first or nothing matches within <paramref name="within"/>.
    /// </summary>
    public Task<string> Line(Func<string, string?> match, TimeSpan within, string what)
    {
        var found = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lines)
        {
            if (_lines.Select(match).FirstOrDefault(m => m is not null) is { } already)
            {
                return Task.FromResult(already);
            }

            if (_ended)
            {
                return Task.FromException<string>(Ended(what, _exitCode));
            }

            _waiting.Add((match, found));
        }

        return Within(found.Task, within, what);
    }

    /// <summary>Waits for a line that contains <paramref name="text"/>.</summary>
    public Task<string> Line(string text, TimeSpan within) =>
        Line(l => l.Contains(text, StringComparison.Ordinal) ? l : null, within, $"a line with '{text}'");

    public async ValueTask DisposeAsync()
    {
        if (!Process.HasExited)
        {
            Process.Kill(entireProcessTree: true);
            await Process.WaitForExitAsync();
        }

        Process.Dispose();
    }

    private async Task<string> Within(Task<string> found, TimeSpan within, string what)
    {
        try
        {
            return await found.WaitAsync(within);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"not within {within.TotalSeconds:0.#}s: {what}; output:\n{Output}");
        }
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_lines)
        {
            _lines.Add(line);
            foreach (var waiter in _waiting.ToArray())
            {
                if (waiter.Match(line) is { } found)
                {
                    _waiting.Remove(waiter);
                    waiter.Found.TrySetResult(found);
                }
            }
        }
    }

    private void OnExit()
    {
        int code;
        try
        {
            // Once it exited, the rest of its output is read to the end before anyone waiting hears that it ended.
            Process.WaitForExit();
            code = Process.ExitCode;
        }
        catch (Exception ex) when (ex is InvalidOperationException or ObjectDisposedException)
        {
            code = -1; // disposed meanwhile: the test is done with it
        }

        lock (_lines)
        {
            _ended = true;
            _exitCode = code;
            foreach (var waiter in _waiting)
            {
                waiter.Found.TrySetException(Ended("the line awaited", code));
            }

            _waiting.Clear();
        }
    }

    private InvalidOperationException Ended(string what, int code) => new($"{_name} exited with {code} before {what}:\n{string.Join('\n', _lines)}");
}
