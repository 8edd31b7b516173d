using System.Security.Cryptography;
using System.Text;

namespace Fabric.Api.Http;

/// <summary>
/// Cyborg names everything by UUID; Fabric by name. Devices, deployables, resource providers, profiles, functions and attach
/// handles get name-based UUIDs (RFC 4122 version 5) in a namespace of Fabric's own: the same name always gives the same
/// UUID, on every fabric-api, with nothing to store.
/// </summary>
public static class Uuids
{
    private static readonly Guid Namespace = Guid.Parse("4f1b1a53-7c0e-4a55-9d0c-fab1c0000001");

    public static string Of(string kind, string name)
    {
        var bytes = Namespace.ToByteArray(bigEndian: true).Concat(Encoding.UTF8.GetBytes($"{kind}:{name}")).ToArray();
        var hash = SHA1.HashData(bytes);
        var uuid = hash[..16];
        uuid[6] = (byte)((uuid[6] & 0x0F) | 0x50);
        uuid[8] = (byte)((uuid[8] & 0x3F) | 0x80);
        return new Guid(uuid, bigEndian: true).ToString("D");
    }

    /// <summary>Cyborg's is_uuid_like: a UUID in any of the usual spellings.</summary>
    public static bool IsUuid(string? text) => Guid.TryParse(text, out _);

    /// <summary>The canonical (lower-case, hyphenated) spelling, or null when <paramref name="text"/> is no UUID.</summary>
    public static string? Canonical(string? text) => Guid.TryParse(text, out var g) ? g.ToString("D") : null;
}
