using System.Text.RegularExpressions;
using Fabric.Api.Profiles;
using Fabric.Messages.Attachments;

namespace Fabric.Api.Requests;

/// <summary>
/// A Cyborg accelerator request (ARQ) as Fabric holds it: an attachment. A Fabric attachment belongs to one VM for life,
/// while an ARQ is made before its instance is known and may be unbound and bound again; so an ARQ is a chain of
/// attachments, one per binding, with ids <c>&lt;uuid&gt;</c>, <c>&lt;uuid&gt;.1</c>, <c>&lt;uuid&gt;.2</c>, ...: each step makes the next
/// one and then deletes the one before, and the newest that is not deleted is the ARQ. One without an instance belongs to
/// the placeholder VM <see cref="Unassigned"/> (state Initial for the first, Unbound after an unbind).
/// </summary>
public sealed partial record Arq(string Uuid, int Generation, AttachmentView View)
{
    public const string Unassigned = "fabric-api:unassigned";

    public string AttachmentId => IdOf(Uuid, Generation);

    public bool Assigned => View.VmId != Unassigned;

    public string? Instance => Assigned ? View.VmId : null;

    /// <summary>The project that made it (its Keystone token's); none when made without authentication.</summary>
    public string? Project => View.Project;

    public string ProfileName => DeviceProfiles.ParseGroupProfile(View.Profile)?.Name ?? View.Profile;

    public int Group => DeviceProfiles.ParseGroupProfile(View.Profile)?.Group ?? 0;

    /// <summary>Holds a channel: the instance's queues must be stopped before it is unbound or deleted.</summary>
    public bool Realized => View.Status is AttachmentStatus.Attached or AttachmentStatus.Rebinding;

    public static string IdOf(string uuid, int generation) => generation == 0 ? uuid : $"{uuid}.{generation}";

    /// <summary>The ARQ and generation an attachment id stands for; null for attachments not made by fabric-api.</summary>
    public static (string Uuid, int Generation)? Parse(string attachmentId)
    {
        var match = IdPattern().Match(attachmentId);
        if (!match.Success || !Guid.TryParse(match.Groups[1].Value, out var uuid) || uuid.ToString("D") != match.Groups[1].Value)
        {
            return null;
        }

        return (match.Groups[1].Value, match.Groups[2].Success ? int.Parse(match.Groups[2].Value) : 0);
    }

    [GeneratedRegex(@"^([0-9a-f-]{36})(?:\.([1-9][0-9]{0,6}))?$")]
    private static partial Regex IdPattern();
}
