using System.Text.Json.Nodes;
using Fabric.Api.Auth;
using Fabric.Api.Http;
using Fabric.Messages.Attachments;
using Fabric.Messages.Profiles;

namespace Fabric.Api.Profiles;

/// <summary><c>/v2/device_profiles</c>: list (filter <c>name=a,b</c>), create (a list of one), get one by UUID or (2.2+) name, delete by UUID or names.</summary>
public static class ProfileEndpoints
{
    private const string Resource = "device_profiles";

    public static void Map(RouteGroupBuilder v2)
    {
        var group = v2.MapGroup("/" + Resource).WithTags("device_profiles");
        group.MapGet("", List).WithSummary("List device profiles (filter: name=a,b)");
        group.MapPost("", Create).WithSummary("Create one device profile: a list of one {name, description, groups}");
        group.MapGet("/{id}", GetOne).WithSummary("Get a device profile by UUID, or by name (2.2 and later)");
        group.MapDelete("/{id}", Delete).WithSummary("Delete a device profile by UUID, or device profiles by name (comma-separated)");
    }

    private static async Task<IResult> List(HttpRequest request, DeviceProfiles profiles)
    {
        Query.OnlyKnown(request, "name");
        var names = Query.Get(request, "name")?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var list = await profiles.List();
        var shown = names is { Length: > 0 } ? list.Where(p => names.Contains(p.Name, StringComparer.Ordinal)) : list;
        return JsonResults.Of(new JsonObject { [Resource] = new JsonArray(shown.Select(p => (JsonNode)Render(request, p)).ToArray()) });
    }

    private static async Task<IResult> Create(HttpRequest request, DeviceProfiles profiles)
    {
        Query.OnlyKnown(request);
        var body = JsonBody.Array(await JsonBody.ReadAsync(request), "the body (a list of one device profile)");
        if (body.Count != 1)
        {
            throw ApiError.BadRequest("Only one device profile allowed per POST request for now.");
        }

        var item = JsonBody.Object(body[0], "the device profile");
        JsonBody.OnlyKnown(item, "the device profile", "name", "description", "groups", "uuid");
        var name = JsonBody.String(item, "name", "the device profile");
        if (string.IsNullOrEmpty(name))
        {
            throw ApiError.BadRequest("DeviceProfile name needed.");
        }

        if (DeviceProfiles.NameProblem(name) is { } problem)
        {
            throw ApiError.BadRequest(problem);
        }

        // Fabric keeps no description (documented); it is still checked for its type.
        _ = JsonBody.String(item, "description", $"device profile {name}", nullable: true);
        if (JsonBody.String(item, "uuid", $"device profile {name}", nullable: true) is { } uuid && Uuids.Canonical(uuid) != DeviceProfiles.UuidOf(name))
        {
            throw ApiError.BadRequest($"device profile {name}: Fabric derives a profile's uuid from its name ({DeviceProfiles.UuidOf(name)}); omit 'uuid' or send that one");
        }

        if (!item.ContainsKey("groups"))
        {
            throw ApiError.BadRequest("DeviceProfile needs groups field.");
        }

        var groups = ProfileGroups.Parse(item["groups"], name);
        var level = ProfileGroups.Level(item["groups"], name);
        var created = await profiles.Create(name, groups, Caller.Of(request.HttpContext).OwnerProject, level);
        return JsonResults.Of(Render(request, created), StatusCodes.Status201Created);
    }

    private static async Task<IResult> GetOne(string id, HttpContext context, DeviceProfiles profiles)
    {
        Query.OnlyKnown(context.Request);
        ProfileView? found;
        if (Uuids.IsUuid(id))
        {
            found = await profiles.FindByUuid(id);
        }
        else if (Microversion.Of(context) >= Microversion.ProfileByName)
        {
            found = await profiles.Find(id);
        }
        else
        {
            throw ApiError.NotAcceptable($"Request not acceptable. The minimal required API version should be {Microversion.ProfileByName}");
        }

        var view = found ?? throw ApiError.NotFound($"Device profile not found with {id}");
        return JsonResults.Of(new JsonObject { ["device_profile"] = Render(context.Request, view) });
    }

    private static async Task<IResult> Delete(string id, HttpRequest request, DeviceProfiles profiles)
    {
        Query.OnlyKnown(request);
        var targets = new List<ProfileView>();
        if (Uuids.IsUuid(id))
        {
            targets.Add(await profiles.FindByUuid(id) ?? throw ApiError.NotFound($"Device profile not found with uuid {id}"));
        }
        else
        {
            // Every name is checked before any is deleted: a missing one deletes nothing.
            foreach (var name in id.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Distinct())
            {
                targets.Add(await profiles.Find(name) ?? throw ApiError.NotFound($"Device profile not found with name {name}"));
            }
        }

        foreach (var profile in targets)
        {
            await profiles.Delete(profile);
        }

        return Results.NoContent();
    }

    public static JsonObject Render(HttpRequest request, ProfileView profile)
    {
        var uuid = DeviceProfiles.UuidOf(profile.Name);
        var groups = profile.Groups.Select(ProfileGroups.Render).ToArray();
        if (profile.Level is { } level && groups.Length > 0)
        {
            // Fabric's keys in the first group, every one of them: what the profile's requests get.
            foreach (var (key, value) in ServiceLevelKeys.ToKeys(level))
            {
                groups[0][key] = value;
            }
        }

        return new JsonObject
        {
            ["name"] = profile.Name,
            ["uuid"] = uuid,
            ["description"] = "",
            ["groups"] = new JsonArray(groups.Select(g => (JsonNode)g).ToArray()),
            ["project_id"] = profile.Project,
            ["created_at"] = null,
            ["updated_at"] = null,
            ["links"] = Links.Self(request, Resource, uuid),
        };
    }
}
