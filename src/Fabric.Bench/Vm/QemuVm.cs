using System.Collections.Concurrent;
using System.Diagnostics;

namespace Fabric.Bench.Vm;

/// <summary>
/// One qemu-system-x86_64 with a virtio-crypto device on a vhost-user socket (docs/vhost.md's command line; KVM when
/// /dev/kvm can be opened, TCG otherwise). Its serial console is read line by line, each line stamped with the time
/// since start. Disposing kills it by pid if it still runs.
/// </summary>
internal sealed class QemuVm : IDisposable
{
    private readonly Process _process;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly ConcurrentQueue<(TimeSpan At, string Line)> _lines = new();
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private QemuVm(Process process, bool kvm)
    {
        _process = process;
        Kvm = kvm;
    }

    public bool Kvm { get; }

    public int Pid => _process.Id;

    public IReadOnlyCollection<(TimeSpan At, string Line)> Lines => _lines;

    /// <summary>Called on the reader thread for every console line, with its time since QEMU started.</summary>
    public event Action<TimeSpan, string>? LineReceived;

    public static string? Find(string? given) =>
        given ?? new[] { "/usr/bin/qemu-system-x86_64", "/usr/local/bin/qemu-system-x86_64" }.FirstOrDefault(File.Exists);

    public static QemuVm Start(string qemu, string kernel, string initrd, string vhostSocket, string memoryFile, string append)
    {
        var kvm = KvmUsable();
        var psi = new ProcessStartInfo(qemu) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var arg in Arguments(kernel, initrd, vhostSocket, memoryFile, append, kvm))
        {
            psi.ArgumentList.Add(arg);
        }
        var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        var vm = new QemuVm(process, kvm);
        process.OutputDataReceived += (_, e) => vm.Add(e.Data);
        process.ErrorDataReceived += (_, e) => vm.Add(e.Data is null ? null : "qemu stderr: " + e.Data);
        process.Exited += (_, _) => vm._exited.TrySetResult();
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return vm;
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

    private static bool KvmUsable()
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
    /// Guest RAM is a shared file the backend maps (QEMU 7.2 gave vhost-user no region with memory-backend-memfd here),
    /// and the device uses INTx (vectors=0): with MSI-X QEMU 7.2 crashes when the guest starts it (docs/vhost.md).
    /// </summary>
    public static IEnumerable<string> Arguments(string kernel, string initrd, string vhostSocket, string memoryFile, string append, bool kvm) =>
    [
        "-machine", kvm ? "q35,accel=kvm" : "q35", "-cpu", kvm ? "host" : "max", "-m", "256", "-smp", "1",
        "-object", $"memory-backend-file,id=mem,size=256M,mem-path={memoryFile},share=on", "-numa", "node,memdev=mem",
        "-chardev", $"socket,id=ccdev,path={vhostSocket}",
        "-object", "cryptodev-vhost-user,id=cryptodev0,chardev=ccdev",
        "-device", "virtio-crypto-pci,id=crypto0,cryptodev=cryptodev0,vectors=0",
        "-kernel", kernel, "-initrd", initrd, "-append", append,
        "-nodefaults", "-no-user-config", "-display", "none", "-serial", "stdio", "-monitor", "none", "-no-reboot",
    ];

    public async Task<bool> WaitForExitAsync(TimeSpan timeout, CancellationToken cancellation)
    {
        var finished = await Task.WhenAny(_exited.Task, Task.Delay(timeout, cancellation)) == _exited.Task;
        if (finished)
        {
            // Exited can fire before the last redirected lines are delivered.
            await _process.WaitForExitAsync(cancellation);
        }
        return finished;
    }

    public int ExitCode => _process.ExitCode;

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
            // never started or already reaped
        }
        _process.Dispose();
    }
}
