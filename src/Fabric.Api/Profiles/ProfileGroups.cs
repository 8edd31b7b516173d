using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Fabric.Api.Http;
using Fabric.Messages.Attachments;
using Fabric.Messages.Functions;
using Fabric.Messages.Placement;
using Fabric.Messages.Profiles;

namespace Fabric.Api.Profiles;

/// <summary>
/// Cyborg's device profile groups (<c>resources:&lt;class&gt;</c>, <c>trait:&lt;name&gt;</c>, <c>accel:&lt;key&gt;</c>) in Fabric terms:
/// each group asks for a number of accelerators (queue pairs), of one function when it names one (<c>accel:function_id</c>,
/// <c>trait:CUSTOM_FABRIC_&lt;FUNCTION&gt;: required</c> or <c>accel:bitstream_id</c>, the function's UUID); the number is the sum of
/// its <c>resources:</c> amounts. Any resource class and custom trait is taken (Placement's syntax) and matched at placement.
/// </summary>
public static partial class ProfileGroups
{
    public const string ResourceClass = DeviceTraits.GenericResourceClass;
    public const string TraitPrefix = DeviceTraits.FabricPrefix;
    public const string FunctionKey = "accel:function_id";
    public const string BitstreamKey = "accel:bitstream_id";

    /// <summary>Fabric's key for the realization a group asks for: <c>FABRIC_CHANNEL</c> or <c>PCI</c> (a hardware VF).</summary>
    public const string AttachTypeKey = "accel:attach_handle_type";
    public const int MaxAccelerators = 64;

    public static string TraitOf(string function) => DeviceTraits.OfFunction(function);

    public static string FunctionUuid(string function) => Uuids.Of("function", function);

    public static IReadOnlyList<ProfileGroup> Parse(JsonNode? node, string profile)
    {
        var groups = JsonBody.Array(node, $"device profile {profile}: 'groups'");
        if (groups.Count == 0)
        {
            throw ApiError.BadRequest($"device profile {profile}: DeviceProfile needs groups field (at least one group)");
        }

        return groups.Select((g, i) => ParseGroup(g, $"device profile {profile}, group {i}")).ToArray();
    }

    private static ProfileGroup ParseGroup(JsonNode? node, string where)
    {
        var group = JsonBody.Object(node, where);
        var amount = 0;
        var functions = new List<(string Function, string Key)>();
        var classes = new List<string>();
        var required = new List<string>();
        var forbidden = new List<string>();
        string? attach = null;
        foreach (var (rawKey, value) in group)
        {
            var key = rawKey.Trim();
            if (key.StartsWith("resources:", StringComparison.Ordinal))
            {
                var rc = key["resources:".Length..].Trim();
                // Any placement resource class, as Cyborg takes it (CUSTOM_ACCELERATOR_FPGA, FPGA, PGPU, ...): each counts accelerators.
                if (!ResourceClassPattern().IsMatch(rc))
                {
                    throw ApiError.BadRequest($"{where}: Unsupported resource class {rc}; a resource class is 1-255 characters of A-Z, 0-9 and _ (e.g. FPGA, CUSTOM_ACCELERATOR_FPGA)");
                }

                amount += Amount(value, $"{where}, '{rawKey}'");
                classes.Add(rc);
            }
            else if (key.StartsWith("trait:", StringComparison.Ordinal))
            {
                var trait = key["trait:".Length..].Trim();
                var text = Text(value, $"{where}, '{rawKey}'");
                if (!trait.StartsWith("CUSTOM_", StringComparison.Ordinal))
                {
                    throw ApiError.BadRequest($"{where}: Unsupported trait name format {trait}, should start with CUSTOM_");
                }

                if (!DeviceTraits.IsCustomTrait(trait))
                {
                    throw ApiError.BadRequest($"{where}: Unsupported trait name format {trait}: CUSTOM_ followed by A-Z, 0-9 and _, at most {DeviceTraits.MaxNameLength} characters");
                }

                if (text is not ("required" or "forbidden"))
                {
                    throw ApiError.BadRequest($"{where}: Unsupported trait value {text}, the value must be one among ['required', 'forbidden']");
                }

                // A required function trait names the group's function (Fabric's form); any other trait is matched at placement.
                var function = AccelerationFunctions.All.FirstOrDefault(f => TraitOf(f) == trait);
                if (function is not null && text == "required")
                {
                    functions.Add((function, rawKey));
                }
                else
                {
                    (text == "required" ? required : forbidden).Add(trait);
                }
            }
            else if (key == FunctionKey)
            {
                var function = Text(value, $"{where}, '{rawKey}'");
                if (!AccelerationFunctions.All.Contains(function))
                {
                    throw ApiError.BadRequest($"{where}: unknown function '{function}'; known: {string.Join(", ", AccelerationFunctions.All)}");
                }

                functions.Add((function, rawKey));
            }
            else if (key == BitstreamKey)
            {
                var uuid = Uuids.Canonical(Text(value, $"{where}, '{rawKey}'"));
                var function = AccelerationFunctions.All.FirstOrDefault(f => FunctionUuid(f) == uuid)
                    ?? throw ApiError.BadRequest($"{where}: {BitstreamKey} must be the UUID of a Fabric function (GET /fabric/v1/functions lists them)");
                functions.Add((function, rawKey));
            }
            else if (key == AttachTypeKey)
            {
                attach = Text(value, $"{where}, '{rawKey}'").Trim().ToUpperInvariant();
                if (!DeviceTraits.AttachTypes.Contains(attach))
                {
                    throw ApiError.BadRequest($"{where}: {AttachTypeKey} must be one of {string.Join(", ", DeviceTraits.AttachTypes)}, not '{attach}'");
                }
            }
            else if (ServiceLevelKeys.IsKey(key))
            {
                // Fabric's service level keys: the profile's, read by Level.
            }
            else if (!key.StartsWith("accel:", StringComparison.Ordinal))
            {
                throw ApiError.BadRequest($"{where}: Device profile group keys must be of the form ^(resources:|trait:|accel:|fabric:), not '{rawKey}'");
            }

            // Other accel:* keys are Cyborg's driver hints (bitstream names, ...): taken, as Cyborg takes them, and not kept.
        }

        var distinct = functions.Select(f => f.Function).Distinct().ToArray();
        if (distinct.Length > 1)
        {
            throw ApiError.BadRequest($"{where}: one function per group; {string.Join(" and ", functions.Select(f => $"'{f.Key}'"))} name {string.Join(", ", distinct)}");
        }

        if (amount is < 1 or > MaxAccelerators)
        {
            throw ApiError.BadRequest(amount == 0
                ? $"{where}: ask for at least one accelerator, e.g. \"resources:{ResourceClass}\": \"1\""
                : $"{where}: at most {MaxAccelerators} accelerators per group, {amount} asked");
        }

        if (required.Intersect(forbidden).FirstOrDefault() is { } both)
        {
            throw ApiError.BadRequest($"{where}: trait {both} is both required and forbidden");
        }

        // A group of one function and nothing else to match stays a plain group: fabrics of an older version read it.
        var named = distinct.Length == 1 ? distinct[0] : "";
        return named.Length > 0 && required.Count == 0 && forbidden.Count == 0 && attach is null && classes.All(c => c == ResourceClass)
            ? new ProfileGroup(named, amount)
            : new ConstrainedGroup(named, amount, classes.Distinct().ToArray(), required.Count > 0 ? required.ToArray() : null,
                forbidden.Count > 0 ? forbidden.ToArray() : null, attach);
    }

    /// <summary>
    /// The service level Fabric's keys in the groups make (<c>fabric:weight</c>, ..., docs/service-levels.md), or null when
    /// they name none. An attachment binds to one device and has one level: each key may appear in one group only.
    /// </summary>
    public static ServiceLevel? Level(JsonNode? node, string profile)
    {
        var keys = new List<KeyValuePair<string, string>>();
        foreach (var (group, i) in JsonBody.Array(node, $"device profile {profile}: 'groups'").Select((g, i) => (g, i)))
        {
            foreach (var (rawKey, value) in JsonBody.Object(group, $"device profile {profile}, group {i}").Where(k => ServiceLevelKeys.IsKey(k.Key.Trim())))
            {
                var key = rawKey.Trim();
                if (keys.Any(k => k.Key == key))
                {
                    throw ApiError.BadRequest($"device profile {profile}, group {i}: {key} is given in more than one group; an accelerator request has one service level");
                }

                var text = value is JsonValue v && v.GetValueKind() is JsonValueKind.String or JsonValueKind.Number
                    ? (v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : v.ToJsonString())
                    : throw ApiError.BadRequest($"device profile {profile}, group {i}, '{rawKey}' must be a string, not {JsonBody.Kind(value)}");
                keys.Add(new(key, text));
            }
        }

        var (level, problem) = ServiceLevelKeys.Parse(keys);
        return problem is null ? level : throw ApiError.BadRequest($"device profile {profile}: {problem}");
    }

    [GeneratedRegex("^[A-Z0-9_]{1,255}$")]
    private static partial Regex ResourceClassPattern();

    private static string Text(JsonNode? value, string where) =>
        value is JsonValue v && v.GetValueKind() == JsonValueKind.String
            ? v.GetValue<string>()
            : throw ApiError.BadRequest($"{where} must be a string, not {JsonBody.Kind(value)}");

    /// <summary>A count as Cyborg reads it (<c>int(value)</c>): "2" or 2.</summary>
    private static int Amount(JsonNode? value, string where)
    {
        if (value is JsonValue v)
        {
            if (v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<int>(out var number) && number >= 0)
            {
                return number;
            }

            if (v.GetValueKind() == JsonValueKind.String
                && int.TryParse(v.GetValue<string>().Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
            {
                return parsed;
            }
        }

        throw ApiError.BadRequest($"{where}: Resources number {value?.ToJsonString() ?? "null"} is invalid; a whole number is expected");
    }

    /// <summary>
    /// A group as GET answers it: the canonical form of what Fabric stores (its one resource class, or the generic class for
    /// several; the function by its trait and id; the other traits; the attach type).
    /// </summary>
    public static JsonObject Render(ProfileGroup group)
    {
        var rc = group.ResourceClasses is { Count: 1 } one ? one[0] : ResourceClass;
        var rendered = new JsonObject { [$"resources:{rc}"] = group.QueuePairs.ToString(CultureInfo.InvariantCulture) };
        if (group.Function.Length > 0)
        {
            rendered[$"trait:{TraitOf(group.Function)}"] = "required";
        }

        foreach (var trait in group.RequiredTraits ?? [])
        {
            rendered[$"trait:{trait}"] = "required";
        }

        foreach (var trait in group.ForbiddenTraits ?? [])
        {
            rendered[$"trait:{trait}"] = "forbidden";
        }

        if (group.Function.Length > 0)
        {
            rendered[FunctionKey] = group.Function;
        }

        if (group.AttachType is not null)
        {
            rendered[AttachTypeKey] = group.AttachType;
        }

        return rendered;
    }

    /// <summary>Two groups ask for the same (record equality compares the trait lists by reference).</summary>
    public static bool Same(ProfileGroup a, ProfileGroup b) =>
        a.Function == b.Function && a.QueuePairs == b.QueuePairs && a.AttachType == b.AttachType
        && (a.ResourceClasses ?? []).SequenceEqual(b.ResourceClasses ?? [])
        && (a.RequiredTraits ?? []).SequenceEqual(b.RequiredTraits ?? [])
        && (a.ForbiddenTraits ?? []).SequenceEqual(b.ForbiddenTraits ?? []);
}
