using System.Diagnostics;
using Npgsql;

namespace Fabric.Bench.Chaos;

/// <summary>
/// A throwaway PostgreSQL server on 127.0.0.1: a fresh cluster (initdb) in a temp folder on a free port, with a
/// <c>fabric</c> role and database. It can be stopped and started again on the same data (the restart drill);
/// disposing stops it and removes the folder. Run as root it runs the server as the <c>postgres</c> user.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    private readonly string _bin;
    private readonly string _folder;
    private readonly bool _asPostgresUser;

    private PostgresServer(string bin, string folder, int port, bool asPostgresUser)
    {
        _bin = bin;
        _folder = folder;
        Port = port;
        _asPostgresUser = asPostgresUser;
    }

    public int Port { get; }

    public string ConnectionString(string database = "fabric") =>
        $"Host=127.0.0.1;Port={Port};Database={database};Username=fabric;Password=fabric;Timeout=5;Command Timeout=15";

    /// <summary>The server's binaries (initdb, pg_ctl), or null when PostgreSQL is not installed.</summary>
    public static string? FindBinaries()
    {
        const string root = "/usr/lib/postgresql";
        if (!Directory.Exists(root))
        {
            return null;
        }

        return Directory.GetDirectories(root)
            .Select(d => Path.Combine(d, "bin"))
            .Where(b => File.Exists(Path.Combine(b, "initdb")) && File.Exists(Path.Combine(b, "pg_ctl")))
            .OrderByDescending(b => int.TryParse(Path.GetFileName(Path.GetDirectoryName(b)), out var v) ? v : 0)
            .FirstOrDefault();
    }

    /// <summary>Makes, starts and prepares a new server; throws <see cref="InvalidOperationException"/> naming what failed.</summary>
    public static async Task<PostgresServer> StartAsync(CancellationToken cancellation = default)
    {
        var bin = FindBinaries()
            ?? throw new InvalidOperationException("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb); ./test.sh installs it (apt-get install postgresql)");
        var asPostgres = Environment.UserName == "root";
        var folder = Directory.CreateTempSubdirectory("fabric-pg-").FullName;
        if (asPostgres)
        {
            await Run("chown", ["postgres", folder], asPostgres: false, cancellation);
        }

        var server = new PostgresServer(bin, folder, Loopback.FreePort(), asPostgres);
        try
        {
            await server.Pg("initdb", ["-D", server.DataDir, "-U", "postgres", "-A", "trust", "-E", "UTF8"], cancellation);
            await server.StartServer(cancellation);
            await using var admin = new NpgsqlConnection($"Host=127.0.0.1;Port={server.Port};Database=postgres;Username=postgres;Timeout=10");
            await admin.OpenAsync(cancellation);
            foreach (var sql in new[] { "CREATE ROLE fabric LOGIN CREATEDB PASSWORD 'fabric'", "CREATE DATABASE fabric OWNER fabric" })
            {
                await using var command = new NpgsqlCommand(sql, admin);
                await command.ExecuteNonQueryAsync(cancellation);
            }

            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    private string DataDir => Path.Combine(_folder, "data");

    public string LogFile => Path.Combine(_folder, "server.log");

    /// <summary>Starts the server again on the same data and port.</summary>
    public Task StartServer(CancellationToken cancellation = default) =>
        Pg("pg_ctl", ["-D", DataDir, "-l", LogFile, "-w", "-t", "60", "-o",
            $"-p {Port} -k {_folder} -c listen_addresses=127.0.0.1 -c max_connections=300", "start"], cancellation);

    /// <summary>Stops the server: <c>fast</c> ends sessions and shuts down cleanly, <c>immediate</c> is a crash.</summary>
    public Task StopServer(string mode = "fast", CancellationToken cancellation = default) =>
        Pg("pg_ctl", ["-D", DataDir, "-m", mode, "-w", "-t", "60", "stop"], cancellation);

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (File.Exists(Path.Combine(DataDir, "postmaster.pid")))
            {
                await StopServer("immediate");
            }
        }
        catch (InvalidOperationException)
        {
            // Already stopped.
        }

        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private Task Pg(string tool, string[] args, CancellationToken cancellation) =>
        Run(Path.Combine(_bin, tool), args, _asPostgresUser, cancellation);

    private static async Task Run(string program, string[] args, bool asPostgres, CancellationToken cancellation)
    {
        var start = new ProcessStartInfo(asPostgres ? "runuser" : program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (asPostgres)
        {
            foreach (var a in new[] { "-u", "postgres", "--", program })
            {
                start.ArgumentList.Add(a);
            }
        }

        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {program}");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellation);
        var stderr = process.StandardError.ReadToEndAsync(cancellation);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        timeout.CancelAfter(TimeSpan.FromSeconds(90));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{Path.GetFileName(program)} did not finish within 90 s");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Path.GetFileName(program)} {string.Join(' ', args)} failed ({process.ExitCode}): {(await stderr).Trim()} {(await stdout).Trim()}");
        }
    }
}
