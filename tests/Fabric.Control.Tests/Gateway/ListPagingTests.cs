using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence.Query;
using Fabric.Control.Configuration;
using Fabric.Control.Gateway;
using Fabric.Control.Indexes;
using Fabric.Messages;
using Fabric.Messages.Attachments;
using Fabric.Messages.Errors;
using Fabric.Messages.Profiles;
using Fabric.Messages.Vim;
using Xunit;

namespace Fabric.Control.Tests.Gateway;

/// <summary>
/// Lists as the gateways answer them, over an attachment index fed as the journal feeds it and entities that answer
/// with their views: every page fits the remoting frame, and following the cursors reads every item once.
/// </summary>
public sealed class ListPagingTests : IDisposable
{
    private const long Frame = 1024 * 1024;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private readonly ActorSystem _system = ActorSystem.Create("lists", ConfigurationFactory
        .ParseString("akka.remote.dot-netty.tcp.maximum-frame-size = 1 MiB")
        .WithFallback(ConfigurationFactory.ParseString(File.ReadAllText(Path.Combine(FabricConfig.HoconDirectory, "serialization.conf")))));

    public void Dispose() => _system.Terminate().Wait(TimeSpan.FromSeconds(10));

    [Fact]
    public async Task Fifty_thousand_attachments_are_listed_in_pages_that_each_fit_the_remoting_frame()
    {
        var ids = Enumerable.Range(0, 50_000).Select(i => Guid.NewGuid().ToString()).ToArray();
        var control = Fabric(ids, Attached);
        var budget = PageBudget.Of(_system);

        var (listed, pages) = await ReadAll(control, budget, limit: null);

        Assert.Equal(ids.Order(StringComparer.Ordinal), listed.Select(a => a.AttachmentId));
        Assert.Equal(50_000 / ListLimits.DefaultLimit, pages.Count);
        Assert.All(pages, size => Assert.True(size <= Frame / 2, $"a page of {size} bytes"));
        // The whole list in one answer, as the gateway gave it before, would be dropped by the remoting layer.
        Assert.True(budget.SizeOf(new AttachmentList(listed.ToArray())) > Frame);
    }

    [Fact]
    public async Task Heavy_items_make_smaller_pages_rather_than_an_answer_over_the_frame()
    {
        var ids = Enumerable.Range(0, 1_200).Select(i => $"heavy-{i:D5}").ToArray();
        var control = Fabric(ids, id => Attached(id) with { Status = AttachmentStatus.BindFailed, FailureMessage = new string('x', 3_000) });
        var budget = PageBudget.Of(_system);

        var (listed, pages) = await ReadAll(control, budget, limit: ListLimits.MaxLimit);

        Assert.Equal(ids, listed.Select(a => a.AttachmentId));
        Assert.True(pages.Count > 1200 / ListLimits.MaxLimit + 1, $"{pages.Count} pages");
        Assert.All(pages, size => Assert.True(size <= Frame / 2, $"a page of {size} bytes"));
    }

    [Fact]
    public async Task An_item_too_large_for_any_page_is_refused_with_a_reason()
    {
        var control = Fabric(["huge"], id => Attached(id) with { FailureMessage = new string('x', 600_000) });

        var reply = await GatewayLists.Attachments(control, new ListAttachments(null), PageBudget.Of(_system), Timeout);

        var rejected = Assert.IsType<Rejected>(reply);
        Assert.Equal(RejectReason.ReplyTooLarge, rejected.Reason);
        Assert.Contains("'huge'", rejected.Message);
    }

    [Fact]
    public async Task A_limit_below_one_is_refused_and_one_over_the_maximum_is_capped()
    {
        var control = Fabric(Enumerable.Range(0, 1_100).Select(i => $"a-{i:D4}").ToArray(), Attached);
        var budget = PageBudget.Of(_system);

        var refused = await GatewayLists.Attachments(control, new ListAttachments(null, null, 0), budget, Timeout);
        var capped = await GatewayLists.Attachments(control, new ListAttachments(null, null, 5_000), budget, Timeout);

        Assert.Equal(RejectReason.InvalidArgument, Assert.IsType<Rejected>(refused).Reason);
        var page = Assert.IsType<AttachmentList>(capped);
        Assert.Equal(ListLimits.MaxLimit, page.Attachments.Count);
        Assert.Equal("a-0999", page.NextCursor);
    }

    private async Task<(List<AttachmentView> Listed, List<long> PageSizes)> ReadAll(ControlPlane control, PageBudget budget, int? limit)
    {
        var listed = new List<AttachmentView>();
        var sizes = new List<long>();
        string? cursor = null;
        do
        {
            var reply = await GatewayLists.Attachments(control, new ListAttachments(null, cursor, limit), budget, Timeout);
            var page = Assert.IsType<AttachmentList>(reply);
            sizes.Add(budget.SizeOf(page));
            listed.AddRange(page.Attachments);
            cursor = page.NextCursor;
            Assert.True(sizes.Count < 10_000, "the cursor does not advance");
        }
        while (cursor is not null);

        return (listed, sizes);
    }

    /// <summary>An attachment index fed with a created event per id, as the journal feeds it, and entities answering <paramref name="view"/>.</summary>
    private ControlPlane Fabric(IReadOnlyList<string> ids, Func<string, AttachmentView> view)
    {
        var index = _system.ActorOf(EntityIndex.Props(null, "attachment-index", e => e is AttachmentCreated c ? new IndexChange(c.AttachmentId, c.VmId, true) : null));
        for (var i = 0; i < ids.Count; i++)
        {
            var created = new AttachmentCreated(ids[i], $"vm-{i % 1000}", "profile-gzip", [new ProfileGroup("gzip", 1)], Guid.NewGuid().ToString("N"));
            index.Tell(new EventEnvelope(new Sequence(i + 1), $"attachment-{ids[i]}", 1, created, 0, ["attachment-index"]));
        }

        var entities = _system.ActorOf(Props.Create(() => new Views(view)));
        return new ControlPlane(ActorRefs.Nobody, ActorRefs.Nobody, entities, ActorRefs.Nobody, null) { AttachmentIndex = index };
    }

    /// <summary>An attachment as a bound, attached one looks, with ids as long as fabric-api gives them (UUIDs).</summary>
    private static AttachmentView Attached(string id) => new(
        id, Guid.NewGuid().ToString(), "profile-gzip-and-crc", AttachmentStatus.Attached,
        [new ProfileGroup("gzip", 2), new ProfileGroup("crc32c", 1)], "compute-host-017/ac-3", "compute-host-017", ["gzip", "crc32c"],
        new AttachHandle("compute-host-017", $"/dev/shm/fabric/compute-host-017/{id}", 1, 256, 256, 64, 4096), null, null);

    private sealed class Views : ReceiveActor
    {
        public Views(Func<string, AttachmentView> view) => Receive<GetAttachment>(g => Sender.Tell(view(g.AttachmentId)));
    }
}
