using System.Text;
using System.Text.Json;

namespace Fabric.Cmd.Tests;

/// <summary>What one fabric-cmd run printed and its exit code.</summary>
public sealed record CmdResult(int ExitCode, string Stdout, string Stderr)
{
    /// <summary>Stdout as JSON; a run that printed none fails the test with everything it printed.</summary>
    public JsonElement Json
    {
        get
        {
            try
            {
                return JsonDocument.Parse(Stdout).RootElement;
            }
            catch (JsonException ex)
            {
                throw new Xunit.Sdk.XunitException($"fabric-cmd printed no JSON ({ex.Message})\n{this}");
            }
        }
    }

    /// <summary>Runs fabric-cmd in-process with its output captured.</summary>
    public static async Task<CmdResult> Run(string[] args, CancellationToken cancellation = default)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await FabricCmd.RunAsync(args, stdout, stderr, cancellation);
        return new CmdResult(code, stdout.ToString(), stderr.ToString());
    }

    public override string ToString() => new StringBuilder()
        .AppendLine($"exit code {ExitCode}").AppendLine("stdout:").AppendLine(Stdout).AppendLine("stderr:").AppendLine(Stderr).ToString();
}
