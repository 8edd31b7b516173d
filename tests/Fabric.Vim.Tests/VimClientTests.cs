using System.Collections.Concurrent;
using Fabric.Messages.Attachments;
using Fabric.Messages.Errors;
using Fabric.Messages.Node;
using Fabric.Messages.Profiles;
using Fabric.Messages.Vim;
using Fabric.Vim.Client;
using Xunit;

namespace Fabric.Vim.Tests;

public sealed class VimClientTests(FabricFixture fabric) : IClassFixture<FabricFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private Task<FabricVimClient> Connect() => FabricVimClient.ConnectAsync(fabric.Contact, Timeout);

    [Fact]
    public async Task A_VIM_creates_a_profile_and_a_request_spawns_a_VM_on_a_host_hears_the_bind_and_deletes_the_VM()
    {
        await using var vim = await Connect();
        var events = new ConcurrentQueue<FabricEvent>();
        using var subscription = vim.Subscribe(events.Enqueue);
        await vim.CreateProfile("vim-seal", [new ProfileGroup("aes-256-gcm", 1)]);
        await vim.CreateAttachment("arq-v1", "vm-v1", "vim-seal");

        var realized = await vim.SpawnVm("vm-v1", fabric.Host, [new VmAccelerator("arq-v1", null)]);

        Assert.Equal(AttachmentStatus.Attached, realized.Attachments[0].Status);
        // Lists come from read models that follow the journal: they catch up within moments.
        await Eventually.Found(async () => (await vim.ListProfiles()).FirstOrDefault(p => p.Name == "vim-seal"), "the profile listed", Timeout);
        var listed = await Eventually.Found(async () => (await vim.ListAttachments("vm-v1")).SingleOrDefault(), "the attachment listed", Timeout);
        Assert.Equal("arq-v1", listed.AttachmentId);
        var bound = await Eventually.Found(() => Task.FromResult(events.OfType<AttachmentBoundEvent>().FirstOrDefault(e => e.AttachmentId == "arq-v1")), "the bound event", Timeout);
        Assert.Equal("vm-v1", bound.VmId);
        Assert.Equal(fabric.Host, bound.Host);

        var stopped = await vim.DeleteVm("vm-v1", fabric.Host);
        Assert.Equal(["arq-v1"], stopped.Attachments);
        Assert.Equal(AttachmentStatus.Deleted, (await vim.GetAttachment("arq-v1")).Status);
    }

    [Fact]
    public async Task Bad_requests_get_typed_refusals_and_nothing_half_done()
    {
        await using var vim = await Connect();
        await vim.CreateProfile("vim-hash", [new ProfileGroup("sha256", 1)]);

        var unknownProfile = await Assert.ThrowsAsync<FabricRejectedException>(() => vim.CreateAttachment("arq-bad", "vm-bad", "no-such-profile"));
        Assert.Equal(RejectReason.NotFound, unknownProfile.Rejected.Reason);
        Assert.Equal(RejectReason.NotFound, (await Assert.ThrowsAsync<FabricRejectedException>(() => vim.GetAttachment("arq-bad"))).Rejected.Reason);

        await vim.CreateAttachment("arq-b1", "vm-b1", "vim-hash");
        var unknownHost = await vim.Bind("arq-b1", "no-such-host");
        Assert.Equal(AttachmentStatus.BindFailed, unknownHost.Status);
        Assert.Equal(RejectReason.NoCapacity, unknownHost.FailureReason);

        await vim.Bind("arq-b1", fabric.Host);
        var doubleBind = await Assert.ThrowsAsync<FabricRejectedException>(() => vim.Bind("arq-b1", fabric.Host));
        Assert.Equal(RejectReason.IllegalState, doubleBind.Rejected.Reason);

        await vim.CreateAttachment("arq-b2", "vm-b2", "vim-hash");
        await vim.SpawnVm("vm-b2", fabric.Host, [new VmAccelerator("arq-b2", null)]);
        var deleteRunning = await Assert.ThrowsAsync<FabricRejectedException>(() => vim.DeleteAttachment("arq-b2"));
        Assert.Equal(RejectReason.IllegalState, deleteRunning.Rejected.Reason);
        Assert.Equal(AttachmentStatus.Attached, (await vim.GetAttachment("arq-b2")).Status);

        var noHost = await Assert.ThrowsAsync<FabricRejectedException>(() => vim.SpawnVm("vm-b3", "no-such-host", []));
        Assert.Equal(RejectReason.NotFound, noHost.Rejected.Reason);
        Assert.Contains(fabric.Host, noHost.Rejected.Message);

        var nodeOnly = await Assert.ThrowsAsync<FabricRejectedException>(() => vim.Request<AttachmentView>(new MarkAttached("arq-b1", null!, "x")));
        Assert.Equal(RejectReason.InvalidArgument, nodeOnly.Rejected.Reason);
    }

    [Fact]
    public async Task A_list_longer_than_a_page_is_read_to_its_end_by_following_cursors()
    {
        await using var vim = await Connect();
        await vim.CreateProfile("vim-pages", [new ProfileGroup("crc32c", 1)]);
        var ids = Enumerable.Range(0, 50).Select(i => $"arq-p{i:D2}").ToArray();
        foreach (var id in ids)
        {
            await vim.CreateAttachment(id, "vm-pages", "vim-pages");
        }

        // Seven a page: eight pages, each a request of its own, joined by the client.
        var all = await Eventually.Found(async () =>
        {
            var list = await vim.Request<AttachmentList>(new ListAttachments("vm-pages", null, 7));
            return list.Attachments.Count == ids.Length ? list : null;
        }, "every attachment listed", Timeout);
        var first = await vim.ListAttachmentsPage("vm-pages", null, 7);
        var pages = 1;
        for (var page = first; page.NextCursor is { } cursor; pages++)
        {
            page = await vim.ListAttachmentsPage("vm-pages", cursor, 7);
        }

        Assert.Equal(ids, all.Attachments.Select(a => a.AttachmentId));
        Assert.Null(all.NextCursor);
        Assert.Equal(ids[..7], first.Attachments.Select(a => a.AttachmentId));
        Assert.Equal("arq-p06", first.NextCursor);
        Assert.Equal(8, pages);
        Assert.Equal(ids, (await vim.ListAttachments("vm-pages")).Select(a => a.AttachmentId));
    }

    [Theory]
    [InlineData("")]
    [InlineData("localhost")]
    [InlineData("127.0.0.1:notaport")]
    [InlineData("http://127.0.0.1:4053")]
    [InlineData("akka.tcp://other@127.0.0.1:4053")]
    public async Task A_malformed_contact_point_is_refused_before_connecting(string contact)
    {
        var ex = await Assert.ThrowsAsync<ContactPointException>(() => FabricVimClient.ConnectAsync(contact, Timeout));
        Assert.Contains("host:port", ex.Message);
    }

    [Fact]
    public async Task An_unreachable_gateway_is_reported_as_such()
    {
        var ex = await Assert.ThrowsAsync<FabricUnreachableException>(() => FabricVimClient.ConnectAsync("127.0.0.1:1", TimeSpan.FromSeconds(1), attempts: 2));
        Assert.Contains("127.0.0.1:1", ex.Message);
    }
}
