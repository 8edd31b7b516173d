using System.CommandLine;
using Fabric.Security;
using Fabric.Vim.Client;

namespace Fabric.Vim.Cli;

/// <summary>
/// A command run against a connected client, with what can go wrong turned into a one-line message and an exit code
/// (see <see cref="ExitCodes"/>): the same for fabric-vim and fabric-cmd.
/// </summary>
public static class ClientCommand
{
    /// <summary>Null when <paramref name="seconds"/> (the value of <paramref name="option"/>) is usable, else why not.</summary>
    public static string? NotPositiveSeconds(string option, double seconds) =>
        seconds > 0 && !double.IsNaN(seconds) && !double.IsInfinity(seconds) ? null : $"{option} must be a positive number of seconds";

    /// <summary>
    /// Checks the shared options, connects through <paramref name="connect"/> (contact points, timeout, certificate),
    /// runs <paramref name="body"/> (with --json), and turns what can go wrong into a message and an exit code.
    /// </summary>
    public static async Task<int> Run(
        ICliContext cli,
        ParseResult parse,
        Func<string, TimeSpan, ClusterTls?, Task<FabricVimClient>> connect,
        Func<FabricVimClient, bool, Task<int>> body,
        CancellationToken cancellation)
    {
        var timeout = parse.GetValue(cli.Timeout);
        if (NotPositiveSeconds("--timeout", timeout) is { } wrong)
        {
            return cli.Fail(ExitCodes.Usage, wrong);
        }

        var json = parse.GetValue(cli.JsonOutput);
        try
        {
            // A malformed contact is a usage error whatever the certificate.
            var contact = parse.GetValue(cli.Contact)!;
            ContactPoints.Parse(contact);
            var tls = cli.Tls.Load(parse);
            await using var client = await connect(contact, TimeSpan.FromSeconds(timeout), tls);
            return await body(client, json);
        }
        catch (ContactPointException ex)
        {
            return cli.Fail(ExitCodes.Usage, ex.Message);
        }
        catch (ClusterTlsException ex)
        {
            return cli.Fail(ExitCodes.Usage, ex.Message);
        }
        catch (LocalTlsException ex)
        {
            // No certificate, no connection: the same code as a fabric that cannot be reached.
            return cli.Fail(ExitCodes.Unreachable, ex.Message);
        }
        catch (FabricUnreachableException ex)
        {
            return cli.Fail(ExitCodes.Unreachable, ex.Message);
        }
        catch (FabricRejectedException ex)
        {
            if (json)
            {
                cli.WriteJson(new { error = ex.Rejected.Reason.ToString(), message = ex.Rejected.Message });
            }

            return cli.Fail(ExitCodes.Refused, $"{ex.Rejected.Reason}: {ex.Rejected.Message}");
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            // Ctrl+C ends a watch or a tail: that is how a person stops it, not a failure.
            return ExitCodes.Ok;
        }
    }
}
