using Fabric.Control.Tests.Support;
using Fabric.Messages.Attachments;
using Fabric.Messages.Devices;
using Fabric.Messages.Errors;
using Fabric.Messages.Profiles;
using Xunit;

namespace Fabric.Control.Tests.Attachments;

public sealed class ConcurrentBindTests(NodeFixture fixture) : IClassFixture<NodeFixture>
{
    private readonly TestNode _node = fixture.Node;

    [Fact]
    public async Task Two_hundred_concurrent_requests_for_fifty_queue_pairs_bind_exactly_fifty_and_the_books_balance()
    {
        var devices = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            var host = i < 3 ? "host-x" : "host-y";
            devices.Add((await _node.RegisterDevice(host, $"qat{i}", 10, "aes-256-gcm", "sha256")).DeviceId);
        }

        await _node.CreateProfile("concurrent", new ProfileGroup("aes-256-gcm", 1));
        await _node.AwaitPlacementSeesDevices(5);

        var results = await Task.WhenAll(Enumerable.Range(0, 200).Select(async i =>
        {
            var id = $"arq-c{i:D3}";
            await _node.Expect<AttachmentView>(_node.Control.Attachments, new CreateAttachment(id, $"vm-{i}", "concurrent", TestNode.NewId()));
            return await _node.Expect<AttachmentView>(_node.Control.Attachments, new BindAttachment(id, null, TestNode.NewId()));
        }));

        var bound = results.Where(r => r.Status == AttachmentStatus.Bound).ToArray();
        var failed = results.Where(r => r.Status == AttachmentStatus.BindFailed).ToArray();
        Assert.Equal(50, bound.Length);
        Assert.Equal(150, failed.Length);
        Assert.All(failed, f => Assert.Equal(RejectReason.NoCapacity, f.FailureReason));

        var views = await Task.WhenAll(devices.Select(d => _node.Expect<DeviceView>(_node.Control.Devices, new GetDevice(d))));
        Assert.All(views, v => Assert.Equal(10, v.ReservedQueuePairs));
        Assert.Equal(50, views.Sum(v => v.ReservedQueuePairs));
        var holders = views.SelectMany(v => v.Holders.Keys.Select(a => (Attachment: a, Device: v.DeviceId))).ToArray();
        Assert.Equal(50, holders.Select(h => h.Attachment).Distinct().Count());
        foreach (var attachment in bound)
        {
            Assert.Equal(attachment.DeviceId, Assert.Single(holders, h => h.Attachment == attachment.AttachmentId).Device);
        }
    }
}
