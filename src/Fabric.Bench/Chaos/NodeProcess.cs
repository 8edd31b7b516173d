using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Fabric.Bench.Chaos;

/// <summary>
/// One <c>fabric-node</c> process of a drill cluster (the program built beside this one), its output in a log file.
/// It can be killed (SIGKILL), asked to leave (SIGTERM) and started again with the same settings.
/// </summary>
public sealed partial class NodeProcess : IAsyncDisposable
{
    private const int SigTerm = 15;
    private readonly string _logFile;
    private readonly object _logLock = new();
    private Process? _process;
    private StreamWriter? _log;
    private TaskCompletionSource _up = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<DownWindow> _downWindows = [];
    private readonly List<string> _unexpectedExits = [];
    private bool _stopping;

    /// <param name="store"><c>postgres</c> (the drills' store) or <c>sqlite</c>; <paramref name="database"/> is its connection string or file.</param>
    public NodeProcess(string name, int port, IReadOnlyList<string> roles, IReadOnlyList<string> seeds, string database, string folder, string store = "postgres")
    {
        Store = store;
        Name = name;
        Port = port;
        Roles = roles;
        Seeds = seeds;
        Database = database;
        _logFile = Path.Combine(folder, name + ".log");
        DataFolder = DataFolderOf(folder);
        WorkingDirectory = Path.Combine(folder, name);
        Directory.CreateDirectory(WorkingDirectory);
    }

    public string Name { get; }

    public int Port { get; }

    public IReadOnlyList<string> Roles { get; }

    public IReadOnlyList<string> Seeds { get; }

    public string Database { get; }

    public string Store { get; }

    public string WorkingDirectory { get; }

    /// <summary>
    /// The data folder every node of <paramref name="folder"/> shares: the fabric is secure by default, and nodes of one
    /// host with one data folder share the CA the first of them made there (clients read its client certificate).
    /// </summary>
    public string DataFolder { get; }

    public static string DataFolderOf(string folder) => Path.Combine(folder, "data");

    public string Address => $"akka.tcp://fabric@127.0.0.1:{Port}";

    public string Contact => $"127.0.0.1:{Port}";

    public int? Pid => _process is { HasExited: false } p ? p.Id : null;

    public bool IsRunning => _process is { HasExited: false };

    public bool HasRole(string role) => Roles.Contains(role);

    /// <summary>Starts the process and waits until it reports being an Up member with its roles started.</summary>
    public async Task StartAsync(TimeSpan timeout, CancellationToken cancellation = default)
    {
        if (IsRunning)
        {
            throw new InvalidOperationException($"{Name} is already running (pid {_process!.Id})");
        }

        _up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            WorkingDirectory = WorkingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var dll = Path.Combine(AppContext.BaseDirectory, "fabric-node.dll");
        foreach (var a in new[]
                 {
                     dll, "--roles", string.Join(',', Roles), "--port", Port.ToString(), "--seeds", string.Join(',', Seeds),
                     "--node-name", Name, "--store", Store, "--db", Database, "--data", DataFolder,
                 })
        {
            start.ArgumentList.Add(a);
        }

        // FABRIC_DRILL_LOGLEVEL (e.g. DEBUG) makes the nodes' logs say more when a drill is being investigated.
        start.Environment["FABRIC_LOGLEVEL"] = Environment.GetEnvironmentVariable("FABRIC_DRILL_LOGLEVEL") ?? "WARNING";
        lock (_logLock)
        {
            _log?.Dispose();
            _log = new StreamWriter(new FileStream(_logFile, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
            _log.WriteLine($"==== {DateTime.UtcNow:O} starting {Name}");
            _stopping = false;
            if (_downWindows.Count > 0 && _downWindows[^1].Until is null)
            {
                _downWindows[^1] = _downWindows[^1] with { Until = DateTime.UtcNow };
            }
        }

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        process.Exited += (_, _) => OnExited(process);
        if (!process.Start())
        {
            throw new InvalidOperationException($"could not start {Name}");
        }

        _process = process;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var done = await Task.WhenAny(_up.Task, Task.Delay(timeout, cancellation));
        if (done != _up.Task)
        {
            throw new TimeoutException($"{Name} was not up within {timeout.TotalSeconds:0} s; see {_logFile}:\n{Tail(12)}");
        }

        await _up.Task;
    }

    /// <summary>Starts the process and waits for it to end by itself (a node that must refuse to start).</summary>
    public async Task<int> RunToExitAsync(TimeSpan timeout)
    {
        try
        {
            await StartAsync(timeout);
        }
        catch (InvalidOperationException) when (_process is { HasExited: true })
        {
            // Exited before it was up: what the caller expects.
        }

        using var cts = new CancellationTokenSource(timeout);
        await _process!.WaitForExitAsync(cts.Token);
        // The exit handler and the output readers race; wait for the output to be flushed to the log.
        _process.WaitForExit();
        return _process.ExitCode;
    }

    /// <summary>SIGKILL: the process vanishes without leaving the cluster.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false } p)
        {
            MarkStopping("SIGKILL");
            p.Kill(entireProcessTree: true);
            p.WaitForExit(10_000);
        }
    }

    /// <summary>SIGTERM: the node leaves the cluster gracefully; waits for the process to end.</summary>
    public async Task<bool> TerminateAsync(TimeSpan timeout)
    {
        if (_process is not { HasExited: false } p)
        {
            return true;
        }

        MarkStopping("SIGTERM");
        if (SendSignal(p.Id, SigTerm) != 0)
        {
            throw new InvalidOperationException($"could not signal {Name} (pid {p.Id})");
        }

        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await p.WaitForExitAsync(cts.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public int? ExitCode => _process is { HasExited: true } p ? p.ExitCode : null;

    /// <summary>When the drill had this node stopped (killed or told to leave) and, if it was started again, until when.</summary>
    public IReadOnlyList<DownWindow> DownWindows
    {
        get
        {
            lock (_logLock)
            {
                return _downWindows.ToArray();
            }
        }
    }

    /// <summary>Exits the drill did not cause (a node downed by the cluster, a crash): what each said last.</summary>
    public IReadOnlyList<string> UnexpectedExits
    {
        get
        {
            lock (_logLock)
            {
                return _unexpectedExits.ToArray();
            }
        }
    }

    /// <summary>The whole log (for audits after a drill).</summary>
    public IReadOnlyList<string> LogLines() => LogLines("");

    /// <summary>The last lines of the node's log (for error messages).</summary>
    public string Tail(int lines)
    {
        try
        {
            using var stream = new FileStream(_logFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            var all = reader.ReadToEnd().Split('\n');
            return string.Join('\n', all.TakeLast(lines));
        }
        catch (IOException)
        {
            return "";
        }
    }

    /// <summary>Lines of the log that contain <paramref name="text"/>.</summary>
    public IReadOnlyList<string> LogLines(string text)
    {
        using var stream = new FileStream(_logFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd().Split('\n').Where(l => l.Contains(text, StringComparison.Ordinal)).ToArray();
    }

    private void MarkStopping(string how)
    {
        lock (_logLock)
        {
            _stopping = true;
            _downWindows.Add(new DownWindow(DateTime.UtcNow, null));
            _log?.WriteLine($"==== {DateTime.UtcNow:O} {how} to {Name}");
        }
    }

    private void OnExited(Process process)
    {
        _up.TrySetException(new InvalidOperationException($"{Name} exited before it was up; see {_logFile}:\n{Tail(12)}"));
        lock (_logLock)
        {
            if (!_stopping && ReferenceEquals(process, _process))
            {
                _unexpectedExits.Add($"{Name} exited by itself at {DateTime.UtcNow:HH:mm:ss.fff} (code {process.ExitCode}); last lines:\n{Tail(6)}");
            }
        }
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_logLock)
        {
            _log?.WriteLine(line);
        }

        // fabric-node prints "compute: node agent serving ..." once its compute role runs, after "up at".
        if (line.StartsWith("compute: node agent serving", StringComparison.Ordinal)
            || (!HasRole("compute") && line.StartsWith($"fabric-node {Name} up at", StringComparison.Ordinal)))
        {
            _up.TrySetResult();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false } p)
        {
            p.Kill(entireProcessTree: true);
            await p.WaitForExitAsync();
        }

        _process?.Dispose();
        lock (_logLock)
        {
            _log?.Dispose();
            _log = null;
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SendSignal(int pid, int signal);
}
