using Fabric.Messages.Attachments;
using Fabric.Messages.Devices;
using Fabric.Messages.Profiles;
using Spectre.Console;

namespace Fabric.Vim.Cli;

/// <summary>How fabric-vim shows the fabric's answers to people.</summary>
public static class Tables
{
    public static Table Profiles(IEnumerable<ProfileView> profiles)
    {
        var table = new Table().AddColumns("profile", "groups", "service level");
        foreach (var p in profiles)
        {
            table.AddRow(Markup.Escape(p.Name), Markup.Escape(string.Join(", ", p.Groups.Select(g => $"{g.Function} x{g.QueuePairs}"))),
                Markup.Escape(ServiceLevelKeys.Describe(p.Level)));
        }

        return table;
    }

    public static Table Attachments(IEnumerable<AttachmentView> attachments)
    {
        var table = new Table().AddColumns("attachment", "VM", "profile", "state", "host", "device", "attach handle", "service level", "why");
        foreach (var a in attachments)
        {
            table.AddRow(Markup.Escape(a.AttachmentId), Markup.Escape(a.VmId), Markup.Escape(a.Profile), State(a.Status),
                Markup.Escape(a.Host ?? "-"), Markup.Escape(a.DeviceId ?? "-"), Markup.Escape(Handle(a.Handle)), Markup.Escape(ServiceLevelKeys.Describe(a.Level)),
                Markup.Escape(a.FailureMessage ?? ""));
        }

        return table;
    }

    /// <summary>An attach handle in one cell: the channel's path, <c>vhost-user PATH</c> (a QEMU VM's socket) or <c>PCI ADDRESS</c> (a VF).</summary>
    public static string Handle(AttachHandle? handle) => handle switch
    {
        null => "-",
        { VhostUserSocket: { } socket } => "vhost-user " + socket,
        { PciAddress: { } address } => "PCI " + address,
        _ => handle.ChannelPath,
    };

    public static Table Devices(IEnumerable<DeviceView> devices)
    {
        var table = new Table().AddColumns("device", "type", "health", "enabled", "queue pairs used", "committed ops/s", "committed bytes/s", "functions", "traits");
        foreach (var d in devices)
        {
            var health = d.Health == DeviceHealth.Healthy ? "[green]Healthy[/]" : $"[red]{d.Health}[/] {Markup.Escape(d.HealthReason)}";
            table.AddRow(Markup.Escape(d.DeviceId), Markup.Escape(d.Type), health, d.Enabled ? "yes" : "[yellow]no[/]",
                $"{d.ReservedQueuePairs}/{d.CapacityQueuePairs}", $"{d.CommittedOps}/{d.CapacityOps}", $"{d.CommittedBytes}/{d.CapacityBytes}", Markup.Escape(string.Join(" ", d.Functions)), Markup.Escape(string.Join(" ", OwnTraits(d))));
        }

        return table;
    }

    /// <summary>The traits a list shows: all but the function traits (the functions column says those).</summary>
    public static IEnumerable<string> OwnTraits(DeviceView d)
    {
        var functionTraits = d.Functions.Select(Messages.Placement.DeviceTraits.OfFunction).ToHashSet(StringComparer.Ordinal);
        return (d.Traits ?? []).Where(t => !functionTraits.Contains(t));
    }

    private static string State(AttachmentStatus status) => status switch
    {
        AttachmentStatus.Attached or AttachmentStatus.Bound => $"[green]{status}[/]",
        AttachmentStatus.BindFailed or AttachmentStatus.Failed => $"[red]{status}[/]",
        _ => status.ToString(),
    };
}
