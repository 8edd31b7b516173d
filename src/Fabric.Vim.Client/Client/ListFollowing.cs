using Fabric.Messages.Operator;
using Fabric.Messages.Vim;

namespace Fabric.Vim.Client;

/// <summary>How a client reads a whole list: the same query again after each page's cursor, and the pages joined in order.</summary>
internal static class ListFollowing
{
    /// <summary>The query for the page after <paramref name="cursor"/>, with the same filter and limit.</summary>
    public static IListQuery After(IListQuery query, string cursor) => query switch
    {
        ListProfiles q => q with { Cursor = cursor },
        ListAttachments q => q with { Cursor = cursor },
        ListDevices q => q with { Cursor = cursor },
        ListPipelines q => q with { Cursor = cursor },
        _ => throw new ArgumentException($"{query.GetType().Name} is not a list this client can follow", nameof(query)),
    };

    /// <summary>One list of every page's items, in order, without a next cursor.</summary>
    public static object Join(IReadOnlyList<object> pages) => pages[0] switch
    {
        ProfileList => new ProfileList(pages.Cast<ProfileList>().SelectMany(p => p.Profiles).ToArray()),
        AttachmentList => new AttachmentList(pages.Cast<AttachmentList>().SelectMany(p => p.Attachments).ToArray()),
        DeviceList => new DeviceList(pages.Cast<DeviceList>().SelectMany(p => p.Devices).ToArray()),
        PipelineList => new PipelineList(pages.Cast<PipelineList>().SelectMany(p => p.Pipelines).ToArray()),
        var other => throw new ArgumentException($"{other.GetType().Name} is not a page this client can join", nameof(pages)),
    };
}
