using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Fabric.Node.Tests.Security;

/// <summary>
/// Certificates made by <c>scripts/dev-cert.sh</c>, as a user makes them: this cluster's CA with two certificates
/// (<see cref="Node"/>, <see cref="Second"/>) and another cluster's (<see cref="Stranger"/>), in a temp folder removed at the end.
/// </summary>
public sealed class ClusterCertificates : IDisposable
{
    public const string Password = "fabric-test-password";

    public ClusterCertificates()
    {
        Folder = Path.Combine(Path.GetTempPath(), "fabric-tls-tests", Guid.NewGuid().ToString("N"));
        Node = Make(Path.Combine(Folder, "cluster"), "node-1", Password).Pfx;
        Second = Make(Path.Combine(Folder, "cluster"), "node-2", Password).Pfx;
        Stranger = Make(Path.Combine(Folder, "stranger"), "stranger", Password).Pfx;
    }

    public string Folder { get; }

    /// <summary>Issued by this cluster's CA.</summary>
    public string Node { get; }

    /// <summary>Another certificate of this cluster's CA (per-host certificates work as one shared one does).</summary>
    public string Second { get; }

    /// <summary>A certificate of the same kind, issued by another cluster's CA.</summary>
    public string Stranger { get; }

    public static string Script => Path.Combine(RepositoryRoot(), "scripts", "dev-cert.sh");

    /// <summary>Runs dev-cert.sh; returns the .pfx it made and what it printed.</summary>
    public static (string Pfx, string Output) Make(string folder, string name, string? password)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { Script, "--out", folder, "--name", name }.Concat(password is null ? [] : ["--password", password]))
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("dev-cert.sh did not finish within 60 s");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"dev-cert.sh exited {process.ExitCode}: {stderr.Result}");
        }

        return (Path.Combine(folder, name + ".pfx"), stdout.Result);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static string RepositoryRoot([CallerFilePath] string source = "")
    {
        // This file sits in tests/Fabric.Node.Tests/Security of the repository.
        var root = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(source)!, "..", "..", ".."));
        return File.Exists(Path.Combine(root, "scripts", "dev-cert.sh"))
            ? root
            : throw new FileNotFoundException($"scripts/dev-cert.sh not found under {root}");
    }
}
