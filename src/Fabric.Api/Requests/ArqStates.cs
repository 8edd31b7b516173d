using System.Globalization;
using System.Text.Json.Nodes;
using Fabric.Api.Http;
using Fabric.Messages.Attachments;

namespace Fabric.Api.Requests;

/// <summary>
/// Cyborg's ARQ states and JSON, from a Fabric attachment alone: its status and the bind request it journals
/// (<see cref="BindRequest"/>), so every fabric-api in front of one fabric answers the same.
/// </summary>
public static class ArqStates
{
    public const string Initial = "Initial";
    public const string BindStarted = "BindStarted";
    public const string Bound = "Bound";
    public const string Unbound = "Unbound";
    public const string BindFailed = "BindFailed";
    public const string UnbindFailed = "UnbindFailed";
    public const string Deleting = "Deleting";

    /// <summary>Cyborg's "resolved": the bind has ended one way or the other.</summary>
    public static readonly string[] Resolved = [Bound, BindFailed, Deleting];

    public const string AttachHandleType = "FABRIC_CHANNEL";
    public const string PciAttachHandleType = "PCI";
    /// <summary>Fabric's extension (docs/cyborg-compat.md): a vhost-user socket the VM's QEMU connects its virtio-crypto device to.</summary>
    public const string VhostUserAttachHandleType = "VHOST_USER";

    /// <summary>The attach_handle_type of a realization ("" while there is none).</summary>
    public static string TypeOf(AttachHandle? handle) => handle switch
    {
        null => "",
        { PciAddress: not null } => PciAttachHandleType,
        { VhostUserSocket: not null } => VhostUserAttachHandleType,
        _ => AttachHandleType,
    };

    /// <summary>"0000:3d:01.2" as Cyborg splits it: domain "0000", bus "3d", device "01", function "2".</summary>
    public static (string Domain, string Bus, string Device, string Function) PciParts(string address)
    {
        var colon = address.Split(':');
        var dot = colon[^1].Split('.');
        return colon.Length == 3 && dot.Length == 2 ? (colon[0], colon[1], dot[0], dot[1]) : ("", "", "", "");
    }

    public static string StateOf(Arq arq)
    {
        if (!arq.Assigned)
        {
            return arq.Generation == 0 ? Initial : Unbound;
        }

        return arq.View.Status switch
        {
            // Rebinding: the fabric moves the queue to another device while the guest keeps its channel.
            AttachmentStatus.Attached or AttachmentStatus.Detached or AttachmentStatus.Rebinding => Bound,
            AttachmentStatus.BindFailed or AttachmentStatus.Failed => BindFailed,
            AttachmentStatus.Deleted => Deleting,
            _ => BindStarted,
        };
    }

    public static JsonObject Render(HttpRequest request, Arq arq)
    {
        var view = arq.View;
        var requested = arq.Assigned ? view.BindRequest : null;
        var handle = arq.Assigned ? view.Handle : null;
        var info = new JsonObject();
        if (handle?.PciAddress is { } pci)
        {
            // Cyborg's PCI handle, as Nova's libvirt driver reads it: hex strings without 0x.
            var (domain, bus, slot, function) = PciParts(pci);
            info["domain"] = domain;
            info["bus"] = bus;
            info["device"] = slot;
            info["function"] = function;
        }
        else if (handle?.VhostUserSocket is { } socket)
        {
            // What libvirt/QEMU need: the socket for -chardev socket,path=... (docs/cyborg-compat.md).
            info["node"] = handle.Node;
            info["socket_path"] = socket;
        }
        else if (handle is not null)
        {
            info["node"] = handle.Node;
            info["channel_path"] = handle.ChannelPath;
            info["abi_version"] = handle.AbiVersion.ToString(CultureInfo.InvariantCulture);
            info["submission_ring_size"] = handle.SubmissionRingSize.ToString(CultureInfo.InvariantCulture);
            info["completion_ring_size"] = handle.CompletionRingSize.ToString(CultureInfo.InvariantCulture);
            info["slot_count"] = handle.SlotCount.ToString(CultureInfo.InvariantCulture);
            info["slot_size"] = handle.SlotSize.ToString(CultureInfo.InvariantCulture);
        }

        var device = arq.Assigned ? view.DeviceId : null;
        return new JsonObject
        {
            ["uuid"] = arq.Uuid,
            ["state"] = StateOf(arq),
            ["device_profile_name"] = arq.ProfileName,
            ["device_profile_group_id"] = arq.Group,
            ["hostname"] = arq.Assigned ? view.Host ?? requested?.Host : null,
            ["device_rp_uuid"] = device is not null ? Uuids.Of("rp", device) : requested?.DeviceRpUuid,
            ["instance_uuid"] = arq.Instance,
            ["project_id"] = view.Project ?? requested?.Project,
            ["attach_handle_type"] = TypeOf(handle),
            ["attach_handle_uuid"] = handle is null ? null : Uuids.Of("attach-handle", arq.AttachmentId),
            ["attach_handle_info"] = info,
            ["created_at"] = null,
            ["updated_at"] = null,
            ["links"] = Links.Self(request, "accelerator_requests", arq.Uuid),
        };
    }
}

