using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace Fabric.Node.Vm;

/// <summary>
/// One qemu-system-x86_64 process (docs/vhost.md's command line): KVM when /dev/kvm opens, TCG otherwise; guest RAM
/// shared with the vhost-user backends; per vhost-user socket a virtio-crypto device; the serial console written to
/// a log file by QEMU and read line by line here (each line stamped with the time since start); a QMP socket for a
/// clean stop. Disposing kills it by pid if it still runs.
/// </summary>
public sealed class QemuMachine : IDisposable
{
    private readonly Process _process;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly ConcurrentQueue<(TimeSpan At, string Line)> _lines = new();
    private readonly TaskCompletionSource<int> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private QemuMachine(Process process, QemuMachineSpec spec, bool kvm)
    {
        _process = process;
        Spec = spec;
        Kvm = kvm;
    }

    public QemuMachineSpec Spec { get; }

    public bool Kvm { get; }

    public int Pid { get; private set; }

    public IReadOnlyCollection<(TimeSpan At, string Line)> Lines => _lines;

    /// <summary>Completes with QEMU's exit code once it exited and its last console lines were read.</summary>
    public Task<int> Exited => _exited.Task;

    public bool HasExited => _exited.Task.IsCompleted;

    /// <summary>Called on the reader thread for every console line (and QEMU's stderr, prefixed), with its time since start.</summary>
    public event Action<TimeSpan, string>? LineReceived;

    public static string? Find(string? given = null) =>
        given ?? new[] { "/usr/bin/qemu-system-x86_64", "/usr/local/bin/qemu-system-x86_64" }.FirstOrDefault(File.Exists);

    public static bool KvmUsable()
    {
        try
        {
            using var kvm = File.Open("/dev/kvm", FileMode.Open, FileAccess.ReadWrite);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>
    /// Guest RAM is a shared file the backends map (QEMU 7.2 gave vhost-user no region with memory-backend-memfd here),
    /// and each crypto device uses INTx (vectors=0): with MSI-X QEMU 7.2 crashes when the guest starts it (docs/vhost.md).
    /// The console chardev writes the log file itself, so the log survives the reader.
    /// </summary>
    public static IReadOnlyList<string> Arguments(QemuMachineSpec spec, bool kvm)
    {
        var mib = spec.MemoryMiB.ToString(CultureInfo.InvariantCulture);
        var args = new List<string>
        {
            "-machine", kvm ? "q35,accel=kvm" : "q35", "-cpu", kvm ? "host" : "max",
            "-m", mib, "-smp", spec.Vcpus.ToString(CultureInfo.InvariantCulture),
            "-object", $"memory-backend-file,id=mem,size={mib}M,mem-path={spec.MemoryFile},share=on", "-numa", "node,memdev=mem",
        };
        for (var i = 0; i < spec.VhostUserSockets.Count; i++)
        {
            args.AddRange([
                "-chardev", $"socket,id=cc{i},path={spec.VhostUserSockets[i]}",
                "-object", $"cryptodev-vhost-user,id=cryptodev{i},chardev=cc{i}",
                "-device", $"virtio-crypto-pci,id=crypto{i},cryptodev=cryptodev{i},vectors=0",
            ]);
        }

        args.AddRange([
            "-kernel", spec.Kernel, "-initrd", spec.Initrd, "-append", spec.Append,
            "-nodefaults", "-no-user-config", "-display", "none",
            "-chardev", $"stdio,id=console,signal=off,logfile={spec.ConsoleLog}", "-serial", "chardev:console",
            "-qmp", $"unix:{spec.QmpSocket},server=on,wait=off", "-monitor", "none", "-no-reboot",
        ]);
        return args;
    }

    public static QemuMachine Start(QemuMachineSpec spec)
    {
        Directory.CreateDirectory(spec.Folder);
        var kvm = spec.Kvm ?? KvmUsable();
        var psi = new ProcessStartInfo(spec.Qemu) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var arg in Arguments(spec, kvm))
        {
            psi.ArgumentList.Add(arg);
        }

        var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        var machine = new QemuMachine(process, spec, kvm);
        process.OutputDataReceived += (_, e) => machine.Add(e.Data);
        process.ErrorDataReceived += (_, e) => machine.Add(e.Data is null ? null : "qemu stderr: " + e.Data);
        process.Exited += (_, _) => machine.OnExit();
        process.Start();
        machine.Pid = process.Id;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return machine;
    }

    private void Add(string? line)
    {
        if (line is null)
        {
            return;
        }

        var at = _clock.Elapsed;
        _lines.Enqueue((at, line));
        LineReceived?.Invoke(at, line);
    }

    private void OnExit()
    {
        // Exited can fire before the last redirected lines are delivered; WaitForExit() waits for them.
        _ = Task.Run(() =>
        {
            int code;
            try
            {
                _process.WaitForExit();
                code = _process.ExitCode;
            }
            catch (InvalidOperationException)
            {
                code = -1;
            }

            TryDelete(Spec.MemoryFile);
            TryDelete(Spec.QmpSocket);
            _exited.TrySetResult(code);
        });
    }

    /// <summary>True when QEMU exited within <paramref name="timeout"/>.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout, CancellationToken cancellation = default)
    {
        try
        {
            await _exited.Task.WaitAsync(timeout, cancellation);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    /// <summary>The first console line (already read or still to come) that <paramref name="match"/> accepts; null when QEMU exits or the time is up first.</summary>
    public async Task<string?> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout)
    {
        var found = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnLine(TimeSpan _, string line)
        {
            if (match(line))
            {
                found.TrySetResult(line);
            }
        }

        LineReceived += OnLine;
        try
        {
            foreach (var (_, line) in _lines)
            {
                if (match(line))
                {
                    return line;
                }
            }

            var ended = await Task.WhenAny(found.Task, _exited.Task, Task.Delay(timeout));
            return ended == found.Task ? found.Task.Result : _lines.Select(l => l.Line).FirstOrDefault(match);
        }
        finally
        {
            LineReceived -= OnLine;
        }
    }

    /// <summary>
    /// A clean stop: ACPI power-down through QMP and <paramref name="grace"/> for the guest to power off; then QMP
    /// "quit" (QEMU closes its devices and vhost-user connections in order) and a few seconds; then SIGKILL by pid.
    /// Answers how it ended.
    /// </summary>
    public async Task<QemuStop> StopAsync(TimeSpan grace)
    {
        if (HasExited)
        {
            return QemuStop.AlreadyExited;
        }

        if (await Qmp.ExecuteAsync(Spec.QmpSocket, "system_powerdown", TimeSpan.FromSeconds(5)) && await WaitForExitAsync(grace))
        {
            return QemuStop.PoweredOff;
        }

        if (HasExited)
        {
            return QemuStop.PoweredOff;
        }

        if (await Qmp.ExecuteAsync(Spec.QmpSocket, "quit", TimeSpan.FromSeconds(5)) && await WaitForExitAsync(TimeSpan.FromSeconds(10)))
        {
            return QemuStop.Quit;
        }

        Kill();
        await WaitForExitAsync(TimeSpan.FromSeconds(10));
        return QemuStop.Killed;
    }

    /// <summary>SIGKILL by pid (this process only: QEMU starts no children).</summary>
    public void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
            }
        }
        catch (InvalidOperationException)
        {
            // never started or already reaped
        }
    }

    public int ExitCode => _exited.Task.IsCompletedSuccessfully ? _exited.Task.Result : _process.ExitCode;

    public void Dispose()
    {
        Kill();
        try
        {
            _exited.Task.Wait(TimeSpan.FromSeconds(10));
        }
        catch (AggregateException)
        {
        }

        _process.Dispose();
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }
}

/// <summary>How <see cref="QemuMachine.StopAsync"/> ended QEMU.</summary>
public enum QemuStop
{
    AlreadyExited,
    PoweredOff,
    Quit,
    Killed,
}
