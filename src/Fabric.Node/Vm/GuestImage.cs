using System.Diagnostics;

namespace Fabric.Node.Vm;

/// <summary>The guest image scripts/guest-image.sh builds: a kernel and an initramfs in one folder (data/guest by default).</summary>
public sealed record GuestImage(string Kernel, string Initrd)
{
    public const string KernelFile = "vmlinuz";
    public const string InitrdFile = "initrd.gz";

    /// <summary>The image in <paramref name="folder"/>, or null with why not.</summary>
    public static (GuestImage? Image, string? Error) In(string folder)
    {
        var kernel = Path.Combine(folder, KernelFile);
        var initrd = Path.Combine(folder, InitrdFile);
        return File.Exists(kernel) && File.Exists(initrd)
            ? (new GuestImage(Path.GetFullPath(kernel), Path.GetFullPath(initrd)), null)
            : (null, $"no guest image in {folder} ({KernelFile}, {InitrdFile}): build it with scripts/guest-image.sh {folder}");
    }

    /// <summary>The clone's root (the folder holding Fabric.sln) above <paramref name="start"/>, or null.</summary>
    public static string? RepoRoot(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Fabric.sln")))
            {
                return dir.FullName;
            }
        }

        return null;
    }

    /// <summary>
    /// The image in <paramref name="folder"/>, built there by <paramref name="script"/> (scripts/guest-image.sh, which
    /// is idempotent: an image whose inputs did not change is kept) when given; <paramref name="log"/> hears that it builds.
    /// The first build downloads the kernel package (about 70 MB); bounded by 5 minutes.
    /// </summary>
    public static (GuestImage? Image, string? Error) Build(string folder, string? script, TextWriter? log = null)
    {
        if (script is null || !File.Exists(script))
        {
            return In(folder);
        }

        log?.WriteLine($"building the guest image: {script} {folder}");
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(script);
        psi.ArgumentList.Add(folder);
        using var build = Process.Start(psi)!;
        var stderr = build.StandardError.ReadToEndAsync();
        _ = build.StandardOutput.ReadToEndAsync();
        if (!build.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            build.Kill(entireProcessTree: true);
            return (null, "scripts/guest-image.sh took more than 5 minutes");
        }

        build.WaitForExit();
        return build.ExitCode == 0
            ? In(folder)
            : (null, $"scripts/guest-image.sh failed ({build.ExitCode}): {stderr.Result.Trim()}");
    }
}
