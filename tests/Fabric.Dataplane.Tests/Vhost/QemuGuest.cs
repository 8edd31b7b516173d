using System.Collections.Concurrent;
using System.Diagnostics;

namespace Fabric.Dataplane.Tests.Vhost;

/// <summary>
/// One qemu-system-x86_64 (TCG: this machine has no /dev/kvm) with a virtio-crypto device whose backend is the
/// vhost-user socket given, its serial console read line by line. Disposing kills it by pid if it still runs.
/// </summary>
internal sealed class QemuGuest : IDisposable
{
    private readonly System.Diagnostics.Process _process;
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private QemuGuest(System.Diagnostics.Process process)
    {
        _process = process;
    }

    public IReadOnlyCollection<string> Lines => _lines;

    public int Pid => _process.Id;

    public static string? Find() =>
        new[] { "/usr/bin/qemu-system-x86_64", "/usr/local/bin/qemu-system-x86_64" }.FirstOrDefault(File.Exists);

    public static QemuGuest Start(string qemu, string kernel, string initrd, string vhostSocket, string memoryFile, string append)
    {
        var psi = new ProcessStartInfo(qemu)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (var arg in Arguments(kernel, initrd, vhostSocket, memoryFile, append))
        {
            psi.ArgumentList.Add(arg);
        }
        var process = new System.Diagnostics.Process { StartInfo = psi, EnableRaisingEvents = true };
        var guest = new QemuGuest(process);
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) guest._lines.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) guest._lines.Enqueue("qemu stderr: " + e.Data); };
        process.Exited += (_, _) => guest._exited.TrySetResult();
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return guest;
    }

    /// <summary>
    /// The command line of docs/vhost.md. Guest RAM is a shared file the backend maps (QEMU 7.2 sent no memory
    /// region with memory-backend-memfd here: "Failed initializing vhost-user memory map"). vectors=0: with MSI-X,
    /// QEMU 7.2 crashes (SIGSEGV in msix_set_vector_notifiers under cryptodev_vhost_start) when the guest starts the
    /// device, so the device uses INTx.
    /// </summary>
    public static IEnumerable<string> Arguments(string kernel, string initrd, string vhostSocket, string memoryFile, string append) =>
    [
        "-machine", "q35", "-cpu", "max", "-m", "256", "-smp", "1",
        "-object", $"memory-backend-file,id=mem,size=256M,mem-path={memoryFile},share=on", "-numa", "node,memdev=mem",
        "-chardev", $"socket,id=ccdev,path={vhostSocket}",
        "-object", "cryptodev-vhost-user,id=cryptodev0,chardev=ccdev",
        "-device", "virtio-crypto-pci,id=crypto0,cryptodev=cryptodev0,vectors=0",
        "-kernel", kernel, "-initrd", initrd, "-append", append,
        "-nodefaults", "-no-user-config", "-display", "none", "-serial", "stdio", "-monitor", "none", "-no-reboot",
    ];

    /// <summary>True when QEMU exited (the guest powered off) within <paramref name="timeout"/>.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        var finished = await Task.WhenAny(_exited.Task, Task.Delay(timeout)) == _exited.Task;
        if (finished)
        {
            // Exited can fire before the last lines of the redirected output are delivered.
            await _process.WaitForExitAsync();
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
