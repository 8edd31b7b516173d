using System.Net.Sockets;
using Npgsql;

namespace Fabric.Control.Configuration;

/// <summary>Readies the PostgreSQL store before a node starts: the server answers and lets this node in.</summary>
public static class PostgresStore
{
    /// <summary>Where the store is, without secrets: <c>host:port/database as user</c>.</summary>
    public static string Describe(string connectionString)
    {
        var builder = Parse(connectionString);
        return $"{builder.Host}:{builder.Port}/{builder.Database} as {builder.Username}";
    }

    /// <summary>
    /// Opens a connection, retrying with backoff while the server is unreachable (it may be starting too) and
    /// reporting each failure; a refusal that retrying cannot mend (bad password, no such database) ends at once.
    /// </summary>
    public static async Task AwaitReachableAsync(string connectionString, TimeSpan timeout, Action<string> report, CancellationToken cancellation)
    {
        var where = Describe(connectionString);
        var deadline = DateTime.UtcNow + timeout;
        var delay = TimeSpan.FromMilliseconds(500);
        while (true)
        {
            try
            {
                await using var connection = new NpgsqlConnection(connectionString);
                await connection.OpenAsync(cancellation);
                return;
            }
            catch (PostgresException ex) when (ex.SqlState is "28P01" or "28000" or "3D000" or "42501")
            {
                throw new FabricConfigurationException($"PostgreSQL at {where} refused this node: {ex.MessageText} ({ex.SqlState})");
            }
            catch (Exception ex) when (ex is NpgsqlException or SocketException or TimeoutException)
            {
                if (DateTime.UtcNow + delay > deadline)
                {
                    throw new FabricConfigurationException(
                        $"PostgreSQL at {where} is unreachable ({Innermost(ex)}); gave up after {timeout.TotalSeconds:0} s. Is the server running and the address right (--db / FABRIC_DB)?");
                }

                report($"PostgreSQL at {where} is unreachable ({Innermost(ex)}); retrying in {delay.TotalSeconds:0.#} s");
                await Task.Delay(delay, cancellation);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
            }
        }
    }

    private static NpgsqlConnectionStringBuilder Parse(string connectionString)
    {
        try
        {
            return new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException ex)
        {
            throw new FabricConfigurationException($"the database setting is not a PostgreSQL connection string ({ex.Message}); e.g. \"Host=127.0.0.1;Port=5432;Database=fabric;Username=fabric;Password=...\"");
        }
    }

    private static string Innermost(Exception ex)
    {
        while (ex.InnerException is not null)
        {
            ex = ex.InnerException;
        }

        return ex.Message;
    }
}
