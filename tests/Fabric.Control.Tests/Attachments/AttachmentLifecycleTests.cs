using Fabric.Control.Tests.Support;
using Fabric.Messages.Attachments;
using Fabric.Messages.Devices;
using Fabric.Messages.Errors;
using Fabric.Messages.Pipelines;
using Fabric.Messages.Profiles;
using Xunit;

namespace Fabric.Control.Tests.Attachments;

/// <summary>Attachments through a real one-process fabric on SQLite: bind, attach, detach, rebind, delete.</summary>
public sealed class AttachmentLifecycleTests(NodeFixture fixture) : IClassFixture<NodeFixture>
{
    private readonly TestNode _node = fixture.Node;

    private async Task<(string Host, string Profile)> HostWithDevices(int devices, int queuePairs, params string[] functions)
    {
        var host = "h-" + TestNode.NewId()[..8];
        for (var i = 0; i < devices; i++)
        {
            await _node.RegisterDevice(host, $"sw{i}", queuePairs, functions);
        }

        var profile = "p-" + TestNode.NewId()[..8];
        await _node.CreateProfile(profile, functions.Select(f => new ProfileGroup(f, 1)).Take(1).ToArray());
        await _node.AwaitPlacementSees(s => s.Devices.Count(d => d.Node == host) == devices);
        return (host, profile);
    }

    private async Task<AttachmentView> CreateAndBind(string profile, string? host, string? id = null)
    {
        id ??= "arq-" + TestNode.NewId();
        await _node.Expect<AttachmentView>(_node.Control.Attachments, new CreateAttachment(id, "vm-" + id, profile, TestNode.NewId()));
        return await _node.Expect<AttachmentView>(_node.Control.Attachments, new BindAttachment(id, host, TestNode.NewId()));
    }

    [Fact]
    public async Task A_bound_attachment_attaches_detaches_and_deletes_and_gives_its_capacity_back()
    {
        var (host, profile) = await HostWithDevices(1, 2, "aes-256-gcm", "sha256");
        var bound = await CreateAndBind(profile, host);
        Assert.Equal(AttachmentStatus.Bound, bound.Status);
        Assert.Equal($"{host}/sw0", bound.DeviceId);
        var device = await _node.Expect<DeviceView>(_node.Control.Devices, new GetDevice(bound.DeviceId!));
        Assert.Equal(1, device.ReservedQueuePairs);
        Assert.Contains(bound.AttachmentId, device.Holders.Keys);

        var handle = new AttachHandle(host, "/dev/shm/fabric/" + bound.AttachmentId, 1, 256, 256, 64, 4096);
        var attached = await _node.Expect<AttachmentView>(_node.Control.Attachments, new MarkAttached(bound.AttachmentId, handle, TestNode.NewId()));
        Assert.Equal(AttachmentStatus.Attached, attached.Status);
        Assert.Equal(handle, attached.Handle);

        await _node.ExpectRejected(_node.Control.Attachments, new DeleteAttachment(bound.AttachmentId, TestNode.NewId()), RejectReason.IllegalState);

        var detached = await _node.Expect<AttachmentView>(_node.Control.Attachments, new DetachAttachment(bound.AttachmentId, TestNode.NewId()));
        Assert.Equal(AttachmentStatus.Detached, detached.Status);
        var deleted = await _node.Expect<AttachmentView>(_node.Control.Attachments, new DeleteAttachment(bound.AttachmentId, TestNode.NewId()));
        Assert.Equal(AttachmentStatus.Deleted, deleted.Status);

        device = await _node.Expect<DeviceView>(_node.Control.Devices, new GetDevice(bound.DeviceId!));
        Assert.Equal(0, device.ReservedQueuePairs);
        Assert.Empty(device.Holders);
    }

    [Fact]
    public async Task A_retried_request_gets_the_first_answer_and_changes_nothing_more()
    {
        var (host, profile) = await HostWithDevices(2, 4, "aes-256-gcm");
        var id = "arq-" + TestNode.NewId();
        var create = new CreateAttachment(id, "vm-1", profile, TestNode.NewId());
        var first = await _node.Expect<AttachmentView>(_node.Control.Attachments, create);
        var second = await _node.Expect<AttachmentView>(_node.Control.Attachments, create);
        Assert.Equal(first, second);

        var bind = new BindAttachment(id, host, TestNode.NewId());
        var bound = await _node.Expect<AttachmentView>(_node.Control.Attachments, bind);
        var retried = await _node.Expect<AttachmentView>(_node.Control.Attachments, bind);

        Assert.Equal(bound.DeviceId, retried.DeviceId);
        Assert.Equal(AttachmentStatus.Bound, retried.Status);
        var devices = await Task.WhenAll(
            _node.Expect<DeviceView>(_node.Control.Devices, new GetDevice($"{host}/sw0")),
            _node.Expect<DeviceView>(_node.Control.Devices, new GetDevice($"{host}/sw1")));
        Assert.Equal(1, devices.Sum(d => d.ReservedQueuePairs));
    }

    [Fact]
    public async Task A_second_bind_with_a_new_request_id_is_refused_as_already_bound()
    {
        var (host, profile) = await HostWithDevices(1, 4, "sha256");
        var bound = await CreateAndBind(profile, host);

        var again = await _node.ExpectRejected(_node.Control.Attachments, new BindAttachment(bound.AttachmentId, host, TestNode.NewId()), RejectReason.IllegalState);

        Assert.Contains("bound", again.Message);
    }

    [Fact]
    public async Task Binding_on_a_host_with_no_such_device_fails_with_no_capacity()
    {
        var (_, profile) = await HostWithDevices(1, 4, "sha256");

        var failed = await CreateAndBind(profile, "no-such-host");

        Assert.Equal(AttachmentStatus.BindFailed, failed.Status);
        Assert.Equal(RejectReason.NoCapacity, failed.FailureReason);
        Assert.Contains("no-such-host", failed.FailureMessage);
    }

    [Fact]
    public async Task Creating_an_attachment_for_an_unknown_profile_is_refused_and_nothing_is_persisted()
    {
        var id = "arq-" + TestNode.NewId();

        var rejected = await _node.ExpectRejected(_node.Control.Attachments, new CreateAttachment(id, "vm-1", "no-such-profile", TestNode.NewId()), RejectReason.NotFound);

        Assert.Contains("no-such-profile", rejected.Message);
        await _node.ExpectRejected(_node.Control.Attachments, new BindAttachment(id, null, TestNode.NewId()), RejectReason.NotFound);
    }

    [Fact]
    public async Task When_its_device_fails_a_rebind_moves_the_attachment_to_another_device_on_the_host_and_releases_the_old_one()
    {
        var (host, profile) = await HostWithDevices(2, 1, "aes-256-gcm");
        var bound = await CreateAndBind(profile, host);
        var failing = bound.DeviceId!;
        await _node.Expect<DeviceView>(_node.Control.Devices, new SetDeviceHealth(failing, DeviceHealth.Failed, "probe failed", TestNode.NewId()));

        var rebound = await _node.Expect<AttachmentView>(_node.Control.Attachments, new RebindAttachment(bound.AttachmentId, null, "device failed", TestNode.NewId()));

        Assert.Equal(AttachmentStatus.Bound, rebound.Status);
        Assert.NotEqual(failing, rebound.DeviceId);
        Assert.Equal(host, rebound.Host);
        var old = await _node.Expect<DeviceView>(_node.Control.Devices, new GetDevice(failing));
        Assert.Equal(0, old.ReservedQueuePairs);
        var now = await _node.Expect<DeviceView>(_node.Control.Devices, new GetDevice(rebound.DeviceId!));
        Assert.Equal(1, now.ReservedQueuePairs);
    }

    [Fact]
    public async Task A_lost_node_fails_the_attachment_and_delete_still_releases_its_capacity()
    {
        var (host, profile) = await HostWithDevices(1, 2, "sha256");
        var bound = await CreateAndBind(profile, host);

        var failed = await _node.Expect<AttachmentView>(_node.Control.Attachments, new FailAttachment(bound.AttachmentId, "NodeLost: " + host, TestNode.NewId()));
        Assert.Equal(AttachmentStatus.Failed, failed.Status);
        await _node.Expect<AttachmentView>(_node.Control.Attachments, new DeleteAttachment(bound.AttachmentId, TestNode.NewId()));

        var device = await _node.Expect<DeviceView>(_node.Control.Devices, new GetDevice(bound.DeviceId!));
        Assert.Equal(0, device.ReservedQueuePairs);
    }

    [Fact]
    public async Task A_pipeline_is_validated_against_the_profile_and_the_bound_device()
    {
        var host = "h-" + TestNode.NewId()[..8];
        await _node.RegisterDevice(host, "sw0", 4, "deflate", "aes-256-gcm", "sha256");
        var profile = "p-" + TestNode.NewId()[..8];
        await _node.CreateProfile(profile, new ProfileGroup("deflate", 1), new ProfileGroup("aes-256-gcm", 1), new ProfileGroup("sha256", 1));
        await _node.AwaitPlacementSees(s => s.Devices.Any(d => d.Node == host));
        var bound = await CreateAndBind(profile, host);
        Assert.Equal(AttachmentStatus.Bound, bound.Status);
        var id = bound.AttachmentId + "/seal";

        var pipeline = await _node.Expect<PipelineView>(_node.Control.Pipelines,
            new DefinePipeline(id, bound.AttachmentId, ["deflate", "aes-256-gcm", "sha256"], TestNode.NewId()));
        Assert.Equal(["deflate", "aes-256-gcm", "sha256"], pipeline.Stages);
        Assert.Equal(bound.DeviceId, pipeline.DeviceId);

        await _node.ExpectRejected(_node.Control.Pipelines, new DefinePipeline(bound.AttachmentId + "/x", bound.AttachmentId, ["brotli"], TestNode.NewId()), RejectReason.FunctionNotSupported);
        await _node.ExpectRejected(_node.Control.Pipelines, new DefinePipeline(bound.AttachmentId + "/y", bound.AttachmentId, ["rot13"], TestNode.NewId()), RejectReason.UnknownFunction);
        await _node.ExpectRejected(_node.Control.Pipelines, new DefinePipeline(bound.AttachmentId + "/z", bound.AttachmentId, [], TestNode.NewId()), RejectReason.InvalidArgument);
        await _node.ExpectRejected(_node.Control.Pipelines, new DefinePipeline("other/z", bound.AttachmentId, ["sha256"], TestNode.NewId()), RejectReason.InvalidArgument);
        await _node.ExpectRejected(_node.Control.Pipelines, new GetPipeline(bound.AttachmentId + "/x"), RejectReason.NotFound);
    }

    [Fact]
    public async Task A_pipeline_for_an_unbound_attachment_is_refused()
    {
        var (_, profile) = await HostWithDevices(1, 1, "sha256");
        var id = "arq-" + TestNode.NewId();
        await _node.Expect<AttachmentView>(_node.Control.Attachments, new CreateAttachment(id, "vm", profile, TestNode.NewId()));

        await _node.ExpectRejected(_node.Control.Pipelines, new DefinePipeline(id + "/p", id, ["sha256"], TestNode.NewId()), RejectReason.IllegalState);
    }
}
