using System.Diagnostics;

namespace Fabric.Dataplane.Tests.Vhost;

/// <summary>The test guest (kernel + initramfs) built by scripts/guest-image.sh into the repo's data/guest (git-ignored).</summary>
internal static class GuestImage
{
    private static readonly Lazy<(string Kernel, string Initrd)> s_image = new(Build);

    public static (string Kernel, string Initrd) Get() => s_image.Value;

    public static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Fabric.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("Fabric.sln not found above " + AppContext.BaseDirectory);
    }

    private static (string, string) Build()
    {
        var root = RepoRoot();
        var psi = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = root,
        };
        psi.ArgumentList.Add(Path.Combine(root, "scripts", "guest-image.sh"));
        psi.ArgumentList.Add(Path.Combine(root, "data", "guest"));
        using var script = System.Diagnostics.Process.Start(psi)!;
        var stdout = script.StandardOutput.ReadToEndAsync();
        var stderr = script.StandardError.ReadToEndAsync();
        // The first run downloads and unpacks the kernel package (about 70 MB); later runs find the image built.
        if (!script.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            script.Kill(entireProcessTree: true);
            throw new TimeoutException("scripts/guest-image.sh took more than 5 minutes");
        }
        var lines = stdout.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (script.ExitCode != 0 || lines.Length < 2)
        {
            throw new InvalidOperationException($"scripts/guest-image.sh failed ({script.ExitCode}): {stderr.Result.Trim()}");
        }
        return (lines[^2].Trim(), lines[^1].Trim());
    }
}
