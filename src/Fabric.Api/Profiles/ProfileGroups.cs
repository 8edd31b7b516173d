using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Fabric.Api.Http;
using Fabric.Messages.Functions;
using Fabric.Messages.Profiles;

namespace Fabric.Api.Profiles;

/// <summary>
/// Cyborg's device profile groups (<c>resources:&lt;class&gt;</c>, <c>trait:&lt;name&gt;</c>, <c>accel:&lt;key&gt;</c>) in Fabric terms:
/// each group asks for a number of accelerators (queue pairs) of one function. A group names its function with
/// <c>accel:function_id</c>, <c>trait:CUSTOM_FABRIC_&lt;FUNCTION&gt;: required</c> or <c>accel:bitstream_id</c> (the function's UUID);
/// the number is the sum of its <c>resources:</c> amounts. Constraints Fabric cannot honour are refused, never ignored.
/// </summary>
public static partial class ProfileGroups
{
    public const string ResourceClass = "CUSTOM_FABRIC_ACCELERATOR";
    public const string TraitPrefix = "CUSTOM_FABRIC_";
    public const string FunctionKey = "accel:function_id";
    public const string BitstreamKey = "accel:bitstream_id";
    public const int MaxAccelerators = 64;

    public static string TraitOf(string function) => TraitPrefix + function.ToUpperInvariant().Replace('-', '_');

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

                var n = Amount(value, $"{where}, '{rawKey}'");
                amount += n;
            }
            else if (key.StartsWith("trait:", StringComparison.Ordinal))
            {
                var trait = key["trait:".Length..].Trim();
                var text = Text(value, $"{where}, '{rawKey}'");
                if (!trait.StartsWith("CUSTOM_", StringComparison.Ordinal))
                {
                    throw ApiError.BadRequest($"{where}: Unsupported trait name format {trait}, should start with CUSTOM_");
                }

                if (text is not ("required" or "forbidden"))
                {
                    throw ApiError.BadRequest($"{where}: Unsupported trait value {text}, the value must be one among ['required', 'forbidden']");
                }

                var function = AccelerationFunctions.All.FirstOrDefault(f => TraitOf(f) == trait);
                if (function is null || text != "required")
                {
                    // Fabric's profiles keep a function and a count per group; a trait constraint they cannot keep is refused, not dropped.
                    throw ApiError.BadRequest($"{where}: Fabric cannot honour trait {trait}: {text} (no Fabric device has it, and Fabric does not match "
                        + $"other traits at placement); it places by function, named by {FunctionKey} or a required trait {TraitPrefix}<FUNCTION> "
                        + $"({string.Join(", ", AccelerationFunctions.All.Select(TraitOf))})");
                }

                functions.Add((function, rawKey));
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
            else
            {
                throw ApiError.BadRequest(key.StartsWith("accel:", StringComparison.Ordinal)
                    ? $"{where}: Fabric does not know '{key}'; it knows {FunctionKey} and {BitstreamKey}"
                    : $"{where}: Device profile group keys must be of the form ^(resources:|trait:|accel:), not '{rawKey}'");
            }
        }

        var distinct = functions.Select(f => f.Function).Distinct().ToArray();
        if (distinct.Length != 1)
        {
            throw ApiError.BadRequest(distinct.Length == 0
                ? $"{where}: name the function, e.g. \"{FunctionKey}\": \"{AccelerationFunctions.Aes256Gcm}\""
                : $"{where}: one function per group; {string.Join(" and ", functions.Select(f => $"'{f.Key}'"))} name {string.Join(", ", distinct)}");
        }

        if (amount is < 1 or > MaxAccelerators)
        {
            throw ApiError.BadRequest(amount == 0
                ? $"{where}: ask for at least one accelerator, e.g. \"resources:{ResourceClass}\": \"1\""
                : $"{where}: at most {MaxAccelerators} accelerators per group, {amount} asked");
        }

        return new ProfileGroup(distinct[0], amount);
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

    /// <summary>A group as GET answers it: the canonical form of what Fabric stores.</summary>
    public static JsonObject Render(ProfileGroup group) => new()
    {
        [$"resources:{ResourceClass}"] = group.QueuePairs.ToString(CultureInfo.InvariantCulture),
        [$"trait:{TraitOf(group.Function)}"] = "required",
        [FunctionKey] = group.Function,
    };
}
