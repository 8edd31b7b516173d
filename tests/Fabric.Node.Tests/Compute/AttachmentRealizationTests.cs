using Fabric.Messages.Attachments;
using Fabric.Messages.Errors;
using Fabric.Messages.Node;
using Fabric.Messages.Profiles;
using Fabric.Node.Compute;
using Xunit;

namespace Fabric.Node.Tests.Compute;

/// <summary>What a VM saga decides while it realizes an attachment on its host, without actors.</summary>
public sealed class AttachmentRealizationTests
{
    private const string Crypto = "h/sw0";
    private static readonly ResetPolicy Policy = new(3, TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(3));
    private static readonly ComputeState State = ComputeState.Of("h", [new DeviceSpec(Crypto, "sw0", "crypto", ["aes-256-gcm", "sha256"], 4, FaultInjecting: false)], Policy);
    private static readonly AttachHandle Handle = new("h", "/run/q.sock", 2, 256, 256, 64, 16384);

    private static AttachmentView View(AttachmentStatus status, string? host = "h", string? device = Crypto, params string[] functions) =>
        new("a1", "vm-1", "p", status, functions.Select(f => new ProfileGroup(f, 1)).ToArray(), device, host, [], null, null, null);

    [Fact]
    public void A_new_attachment_is_bound_here_and_one_bound_elsewhere_is_rebound_here()
    {
        Assert.Equal(new BindAttachment("a1", "h", "r:bind:a1"), AttachmentRealization.BindCommand(View(AttachmentStatus.Initial, null, null), "vm-1", "h", State, "r"));
        var rebind = Assert.IsType<RebindAttachment>(AttachmentRealization.BindCommand(View(AttachmentStatus.Attached, "other"), "vm-1", "h", State, "r"));
        Assert.Equal(("a1", "h"), (rebind.AttachmentId, rebind.Host));
        Assert.Null(AttachmentRealization.BindCommand(View(AttachmentStatus.Bound), "vm-1", "h", State, "r"));
    }

    [Fact]
    public void An_attachment_served_here_already_keeps_its_handle()
    {
        var served = State.Apply(new QueuePlaced("a1", "vm-1", Crypto, "aes-256-gcm", "r")).Apply(new QueueAttached("a1", Handle));

        Assert.Equal(Handle, AttachmentRealization.ServedHandle(View(AttachmentStatus.Attached), served));
        Assert.Null(AttachmentRealization.ServedHandle(View(AttachmentStatus.Bound), served));
        Assert.Null(AttachmentRealization.ServedHandle(View(AttachmentStatus.Attached), State));
    }

    [Fact]
    public void A_bind_that_failed_or_landed_on_a_device_this_node_does_not_serve_is_refused_with_the_reason()
    {
        var failed = View(AttachmentStatus.BindFailed) with { FailureReason = RejectReason.NoCapacity, FailureMessage = "no free queue pair" };
        Assert.Equal(RejectReason.NoCapacity, AttachmentRealization.BoundDevice(failed, "h", State).Refusal?.Reason);
        Assert.Contains("no free queue pair", AttachmentRealization.BoundDevice(failed, "h", State).Refusal?.Message);

        Assert.Equal(RejectReason.IllegalState, AttachmentRealization.BoundDevice(View(AttachmentStatus.Bound, device: "h/gone"), "h", State).Refusal?.Reason);
        Assert.Equal(Crypto, AttachmentRealization.BoundDevice(View(AttachmentStatus.Bound), "h", State).Device?.Id);
    }

    [Fact]
    public void A_queue_runs_the_pipeline_else_the_profiles_functions_else_the_devices_first_and_refuses_a_stage_the_device_lacks()
    {
        var device = State.Devices[Crypto];

        Assert.Equal("sha256->aes-256-gcm", AttachmentRealization.Chain(View(AttachmentStatus.Bound, functions: "aes-256-gcm"), device, new VmAccelerator("a1", "sha256->aes-256-gcm")).Chain);
        Assert.Equal("sha256->aes-256-gcm", AttachmentRealization.Chain(View(AttachmentStatus.Bound, functions: ["sha256", "aes-256-gcm"]), device, new VmAccelerator("a1", null)).Chain);
        Assert.Equal("aes-256-gcm", AttachmentRealization.Chain(View(AttachmentStatus.Bound, functions: ""), device, new VmAccelerator("a1", null)).Chain);

        var (chain, refusal) = AttachmentRealization.Chain(View(AttachmentStatus.Bound), device, new VmAccelerator("a1", "aes-256-gcm->deflate"));
        Assert.Null(chain);
        Assert.Equal(RejectReason.FunctionNotSupported, refusal?.Reason);
        Assert.Contains("deflate", refusal?.Message);
    }
}
