using System.Text.Json.Nodes;
using Fabric.Api.Auth;
using Fabric.Api.Http;
using Fabric.Api.Profiles;

namespace Fabric.Api.Requests;

/// <summary><c>/v2/accelerator_requests</c>: create from a device profile, list (filters instance, bind_state=resolved), get one, bind or unbind (PATCH), delete.</summary>
public static class ArqEndpoints
{
    private const string Resource = "accelerator_requests";

    public static void Map(RouteGroupBuilder v2)
    {
        var group = v2.MapGroup("/" + Resource).WithTags("accelerator_requests");
        group.MapPost("", Create).WithSummary("Create one accelerator request per accelerator of every group of a device profile: {device_profile_name}");
        group.MapGet("", List).WithSummary("List accelerator requests (filters: instance=<uuid>, bind_state=resolved; 423 while an instance's binds run)");
        group.MapGet("/{uuid}", GetOne).WithSummary("Get one accelerator request");
        group.MapPatch("", Patch).WithSummary("Bind (all ops add: hostname, device_rp_uuid, instance_uuid) or unbind (all ops remove), keyed by request uuid; 202");
        group.MapPatch("/{uuid}", PatchOne).WithSummary("Bind or unbind the request of the path: the same body as the bulk PATCH ({uuid: [ops]}, naming it), as Cyborg routes it; 202");
        group.MapDelete("", Delete).WithSummary("Delete accelerator requests: ?arqs=uuid1,uuid2 or ?instance=uuid");
        group.MapDelete("/{uuid}", DeleteOne).WithSummary("Delete one accelerator request; 404 when there is none");
    }

    private static async Task<IResult> Create(HttpRequest request, DeviceProfiles profiles, ArqStore store, Binder binder)
    {
        Query.OnlyKnown(request);
        var body = JsonBody.Object(await JsonBody.ReadAsync(request), "the body");

        // Other fields are ignored, as Cyborg does (the openstack CLI sends device_profile_group_id and image_uuid as null).
        // A group or an image that is named would be ignored by Cyborg too, and the client would get something other than it asked for.
        foreach (var ignored in (string[])["device_profile_group_id", "image_uuid"])
        {
            if (body.TryGetPropertyValue(ignored, out var value) && value is not null)
            {
                throw ApiError.BadRequest($"the body: '{ignored}' is not supported (requests are made for every group of the profile, "
                    + "with the profile's function); omit it or send null");
            }
        }

        var name = JsonBody.String(body, "device_profile_name", "the body");
        if (string.IsNullOrEmpty(name))
        {
            throw ApiError.BadRequest("DeviceProfile name needed.");
        }

        var profile = await profiles.Find(name) ?? throw ApiError.NotFound($"Device Profile not found with name={name}");
        var arqs = await store.Create(profile, Caller.Of(request.HttpContext).OwnerProject);
        return JsonResults.Of(Collection(request, arqs, binder), StatusCodes.Status201Created);
    }

    private static async Task<IResult> List(HttpRequest request, ArqStore store, Binder binder)
    {
        Query.OnlyKnown(request, "instance", "bind_state");
        var bindState = Query.Get(request, "bind_state");
        if (bindState is not null && bindState != "resolved")
        {
            throw ApiError.BadRequest($"Bad state: {bindState} for ARQ: None. Expected state(s): ['resolved']");
        }

        var instance = Query.Get(request, "instance");
        if (instance is not null)
        {
            instance = Uuids.Canonical(instance) ?? throw ApiError.BadRequest($"instance '{Query.Get(request, "instance")}' is not a uuid");
        }

        var caller = Caller.Of(request.HttpContext);
        IReadOnlyList<Arq> arqs = (await store.List(instance)).Where(a => caller.Sees(a.Project)).ToArray();
        if (bindState is not null)
        {
            var resolved = arqs.Where(a => ArqStates.Resolved.Contains(ArqStates.StateOf(a))).ToArray();
            if (instance is not null && resolved.Length < arqs.Count)
            {
                // Cyborg answers 423 while any request of the instance is still binding.
                throw new ApiError(StatusCodes.Status423Locked, $"some accelerator requests of instance {instance} are not resolved yet");
            }

            arqs = resolved;
        }

        return JsonResults.Of(Collection(request, arqs, binder));
    }

    private static async Task<IResult> GetOne(string uuid, HttpRequest request, ArqStore store, Binder binder)
    {
        Query.OnlyKnown(request);
        var canonical = Uuids.Canonical(uuid) ?? throw ApiError.BadRequest($"'{uuid}' is not an accelerator request uuid");
        var arq = await Visible(request.HttpContext, store, canonical) ?? throw ApiError.NotFound($"ARQ not found with uuid {canonical}");
        return JsonResults.Of(ArqStates.Render(request, arq));
    }

    private static async Task<IResult> Patch(HttpContext context, Binder binder, ArqStore store)
    {
        Query.OnlyKnown(context.Request);
        return await Apply(context, binder, store, ArqPatch.Parse(await JsonBody.ReadAsync(context.Request), Microversion.Of(context)));
    }

    private static async Task<IResult> Apply(HttpContext context, Binder binder, ArqStore store, ArqPatch patch)
    {
        await RequireVisible(context, store, patch.Requests.Keys);
        if (patch.Bind)
        {
            await binder.Bind(patch.Requests, Microversion.Of(context), context.RequestAborted);
        }
        else
        {
            await binder.Unbind(patch.Requests.Keys.ToArray(), context.RequestAborted);
        }

        return Results.Accepted();
    }

    /// <summary>The SDK's and the CLI's bind and unbind of one request: Cyborg routes it to the bulk PATCH.</summary>
    private static async Task<IResult> PatchOne(string uuid, HttpContext context, Binder binder, ArqStore store)
    {
        var canonical = Uuids.Canonical(uuid) ?? throw ApiError.BadRequest($"'{uuid}' is not an accelerator request uuid");
        Query.OnlyKnown(context.Request);
        var patch = ArqPatch.Parse(await JsonBody.ReadAsync(context.Request), Microversion.Of(context));
        if (!patch.Requests.ContainsKey(canonical))
        {
            throw ApiError.BadRequest($"Couldn't apply patch. Reason: the path names accelerator request {canonical} and the body does not "
                + $"({string.Join(", ", patch.Requests.Keys)}); send {{\"{canonical}\": [operations]}}");
        }

        return await Apply(context, binder, store, patch);
    }

    private static async Task<IResult> DeleteOne(string uuid, HttpContext context, Binder binder, ArqStore store)
    {
        var canonical = Uuids.Canonical(uuid) ?? throw ApiError.BadRequest($"'{uuid}' is not an accelerator request uuid");
        Query.OnlyKnown(context.Request);
        await RequireVisible(context, store, [canonical]);
        await binder.Delete([canonical], context.RequestAborted);
        return Results.NoContent();
    }

    private static async Task<IResult> Delete(HttpContext context, Binder binder, ArqStore store)
    {
        var request = context.Request;
        Query.OnlyKnown(request, "arqs", "instance");
        var arqs = Query.Get(request, "arqs");
        var instance = Query.Get(request, "instance");
        if (string.IsNullOrEmpty(arqs) == string.IsNullOrEmpty(instance))
        {
            throw ApiError.BadRequest("Object action delete failed because: Provide either an ARQ uuid list or an instance UUID");
        }

        var caller = Caller.Of(context);
        if (!string.IsNullOrEmpty(instance))
        {
            var canonical = Uuids.Canonical(instance) ?? throw ApiError.BadRequest($"instance '{instance}' is not a uuid");
            if (caller.AllProjects)
            {
                await binder.DeleteInstance(canonical, context.RequestAborted);
            }
            else
            {
                // Only the caller's project's requests of the instance: another project's stay, unseen.
                var own = (await store.List(canonical)).Where(a => caller.Sees(a.Project)).Select(a => a.Uuid).ToArray();
                await binder.Delete(own, context.RequestAborted);
            }
        }
        else
        {
            var uuids = arqs!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                .Select(u => Uuids.Canonical(u) ?? throw ApiError.BadRequest($"'{u}' is not an accelerator request uuid"))
                .Distinct().ToArray();
            await RequireVisible(context, store, uuids);
            await binder.Delete(uuids, context.RequestAborted);
        }

        return Results.NoContent();
    }

    /// <summary>The ARQ if the caller may see it (its project's, or any for admins and the service); another project's is not there.</summary>
    private static async Task<Arq?> Visible(HttpContext context, ArqStore store, string uuid)
    {
        var caller = Caller.Of(context);
        return await store.Find(uuid) is { } arq && caller.Sees(arq.Project) ? arq : null;
    }

    /// <summary>Refuses, as not found, an action on requests of another project; unknown ones are left to the action (which says so).</summary>
    private static async Task RequireVisible(HttpContext context, ArqStore store, IEnumerable<string> uuids)
    {
        var caller = Caller.Of(context);
        if (caller.AllProjects)
        {
            return;
        }

        foreach (var uuid in uuids)
        {
            if (await store.Find(uuid) is { } arq && !caller.Sees(arq.Project))
            {
                throw ApiError.NotFound($"ARQ not found with uuid {uuid}");
            }
        }
    }

    private static JsonObject Collection(HttpRequest request, IEnumerable<Arq> arqs, Binder binder) => new()
    {
        ["arqs"] = new JsonArray(arqs.Select(a => (JsonNode)ArqStates.Render(request, a)).ToArray()),
    };
}
