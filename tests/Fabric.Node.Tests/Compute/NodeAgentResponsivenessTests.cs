using Akka.Actor;
using Akka.Configuration;
using Fabric.Control;
using Fabric.Messages.Attachments;
using Fabric.Messages.Errors;
using Fabric.Messages.Node;
using Fabric.Node.Compute;
using Xunit;

namespace Fabric.Node.Tests.Compute;

/// <summary>
/// The node agent never waits on a VM command: with a bind held by an AML that does not answer, it still answers a
/// status query, a fault injection and another VM's stop, and the held command gets its refusal after the ask timeout.
/// </summary>
public sealed class NodeAgentResponsivenessTests : Akka.TestKit.Xunit2.TestKit
{
    private static readonly string Channels = Path.Combine(Path.GetTempPath(), "fabric-responsive-" + Guid.NewGuid().ToString("N")[..8]);

    private static readonly Config Hocon = ConfigurationFactory.ParseString($$"""
        akka.loglevel = WARNING
        akka.actor.provider = cluster
        akka.remote.dot-netty.tcp { hostname = 127.0.0.1, port = 0 }
        fabric.node {
          ask-timeout = 3s
          channels.directory = "{{Channels}}"
        }
        """);

    public NodeAgentResponsivenessTests()
        : base(Hocon)
    {
    }

    [Fact]
    public void Status_faults_and_another_VMs_stop_are_answered_while_a_bind_is_held()
    {
        var settings = ComputeSettings.From(Hocon);
        var aml = CreateTestProbe();
        var control = new ControlPlane(CreateTestProbe().Ref, CreateTestProbe().Ref, aml.Ref, CreateTestProbe().Ref, null);
        var device = new DeviceSpec("t/sw-crypto-0", "sw-crypto-0", "crypto", ["aes-256-gcm"], 4, FaultInjecting: false);
        var agent = Sys.ActorOf(NodeAgent.Props("t", [device], control, settings));
        var vimA = CreateTestProbe();
        var vimB = CreateTestProbe();

        agent.Tell(new SpawnVm("vm-a", [new VmAccelerator("arq-a", null)], "spawn-a"), vimA.Ref);
        // The spawn's saga asked the AML, which holds it: no answer comes.
        aml.ExpectMsg<GetAttachment>(g => g.AttachmentId == "arq-a", TimeSpan.FromSeconds(10));

        agent.Tell(GetNodeStatus.Instance, vimB.Ref);
        var status = vimB.ExpectMsg<NodeStatus>(TimeSpan.FromSeconds(2));
        Assert.Equal("t", status.Node);
        Assert.Equal("running", Assert.Single(status.Devices).Supervision);

        agent.Tell(new InjectDeviceFault(device.DeviceId, "throw", "f"), vimB.Ref);
        Assert.Equal(RejectReason.InvalidArgument, vimB.ExpectMsg<Rejected>(TimeSpan.FromSeconds(2)).Reason);

        agent.Tell(new StopVm("vm-b", DeleteAttachments: true, "stop-b"), vimB.Ref);
        var stopped = vimB.ExpectMsg<VmStopped>(TimeSpan.FromSeconds(2));
        Assert.Equal("vm-b", stopped.VmId);
        Assert.Empty(stopped.Attachments);
        vimA.ExpectNoMsg(TimeSpan.Zero);

        // The held command is not lost: the AML's silence is its answer, a refusal after the ask timeout.
        var refused = vimA.ExpectMsg<Rejected>(TimeSpan.FromSeconds(10));
        Assert.Equal(RejectReason.Timeout, refused.Reason);
        Assert.Contains("GetAttachment", refused.Message);
    }

    [Fact]
    public void Commands_for_one_VM_run_one_at_a_time_in_order()
    {
        var settings = ComputeSettings.From(Hocon);
        var aml = CreateTestProbe();
        var control = new ControlPlane(CreateTestProbe().Ref, CreateTestProbe().Ref, aml.Ref, CreateTestProbe().Ref, null);
        var device = new DeviceSpec("t/sw-crypto-0", "sw-crypto-0", "crypto", ["aes-256-gcm"], 4, FaultInjecting: false);
        var agent = Sys.ActorOf(NodeAgent.Props("t", [device], control, settings));
        var vim = CreateTestProbe();

        agent.Tell(new SpawnVm("vm-a", [new VmAccelerator("arq-a", null)], "spawn-a"), vim.Ref);
        agent.Tell(new StopVm("vm-a", DeleteAttachments: true, "stop-a"), vim.Ref);
        aml.ExpectMsg<GetAttachment>(TimeSpan.FromSeconds(10));

        // The stop waits for the spawn (refused after the ask timeout), then runs.
        Assert.Equal(RejectReason.Timeout, vim.ExpectMsg<Rejected>(TimeSpan.FromSeconds(10)).Reason);
        Assert.Equal("vm-a", vim.ExpectMsg<VmStopped>(TimeSpan.FromSeconds(5)).VmId);
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        try
        {
            Directory.Delete(Channels, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }
}
