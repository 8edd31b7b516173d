using Fabric.Node.Narrative;
using Xunit;

namespace Fabric.Node.Tests.Narrative;

public sealed class NextStepsTests
{
    [Fact]
    public void A_control_node_is_its_own_contact_and_the_commands_name_it()
    {
        var contact = NextSteps.Contact(control: true, "10.0.0.5", 4053, []);
        var lines = NextSteps.Lines(contact, "10.0.0.5", (tool, _) => tool);

        Assert.Equal("10.0.0.5:4053", contact);
        Assert.Equal(
        [
            "Use the fabric at 10.0.0.5:4053:",
            "  fabric-vim --contact 10.0.0.5:4053 device list",
            "  fabric-cmd --contact 10.0.0.5:4053 cluster show",
            "  fabric-api --fabric 10.0.0.5:4053 --urls http://10.0.0.5:6666   # then the Cyborg REST API is at http://10.0.0.5:6666/v2",
        ], lines);
    }

    [Fact]
    public void The_commands_carry_what_a_client_needs_to_reach_the_fabric_securely()
    {
        var elsewhere = Path.Combine(Path.GetTempPath(), "fabric-next-steps-data");

        Assert.Equal("--insecure", NextSteps.Security(null));
        Assert.Equal("", NextSteps.Security(Path.GetFullPath(Path.Combine("data", "tls", "node.pfx"))));
        Assert.Equal($"--data {elsewhere}", NextSteps.Security(Path.Combine(elsewhere, "tls", "node.pfx")));
        Assert.Equal("--tls-cert FILE --tls-password PW", NextSteps.Security("/etc/fabric/cluster.pfx"));
        Assert.Equal("  fabric-cmd --contact h:1 --insecure cluster show", NextSteps.Lines("h:1", "h", (tool, _) => tool, "--insecure")[2]);
    }

    [Fact]
    public void A_compute_only_node_points_at_its_seed_or_says_it_has_no_gateway()
    {
        Assert.Equal("10.0.0.1:4053", NextSteps.Contact(control: false, "10.0.0.7", 4053, ["akka.tcp://fabric@10.0.0.1:4053"]));
        Assert.Null(NextSteps.Contact(control: false, "10.0.0.7", 4053, []));
        Assert.Contains("no gateway", Assert.Single(NextSteps.Lines(null, "10.0.0.7", (tool, _) => tool)));
    }

    [Fact]
    public void A_tool_on_the_PATH_is_named_else_from_a_clone_it_runs_from_source()
    {
        var folder = Path.Combine(Path.GetTempPath(), "fabric-next-steps", Guid.NewGuid().ToString("N"));
        var bin = Path.Combine(folder, "bin");
        Directory.CreateDirectory(Path.Combine(folder, "src", "Fabric.Vim"));
        Directory.CreateDirectory(bin);
        var previous = (Directory.GetCurrentDirectory(), Environment.GetEnvironmentVariable("PATH"));
        try
        {
            Directory.SetCurrentDirectory(folder);
            Environment.SetEnvironmentVariable("PATH", bin);
            Assert.Equal("dotnet run --project src/Fabric.Vim --", NextSteps.Command("fabric-vim", "Fabric.Vim"));
            Assert.Equal("fabric-cmd", NextSteps.Command("fabric-cmd", "Fabric.Cmd"));

            File.WriteAllText(Path.Combine(bin, "fabric-vim"), "#!/bin/sh\n");
            Assert.Equal("fabric-vim", NextSteps.Command("fabric-vim", "Fabric.Vim"));
        }
        finally
        {
            Directory.SetCurrentDirectory(previous.Item1);
            Environment.SetEnvironmentVariable("PATH", previous.Item2);
            Directory.Delete(folder, recursive: true);
        }
    }
}
