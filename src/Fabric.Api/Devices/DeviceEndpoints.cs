using System.Text.Json;
using System.Text.Json.Nodes;
using Fabric.Api.Hosting;
using Fabric.Api.Http;
using Fabric.Api.Profiles;
using Fabric.Messages.Devices;
using Fabric.Messages.Functions;

namespace Fabric.Api.Devices;

/// <summary>
/// <c>/v2/devices</c> and <c>/v2/deployables</c>. Each Fabric device is one Cyborg device with one deployable (its queue pairs are
/// the deployable's accelerators); both are named by name-based UUIDs of the Fabric device id.
/// </summary>
public static class DeviceEndpoints
{
    public static string DeviceUuid(string deviceId) => Uuids.Of("device", deviceId);

    public static string DeployableUuid(string deviceId) => Uuids.Of("deployable", deviceId);

    public static string RpUuid(string deviceId) => Uuids.Of("rp", deviceId);

    public static void Map(RouteGroupBuilder v2)
    {
        var devices = v2.MapGroup("/devices").WithTags("devices");
        devices.MapGet("", ListDevices).WithSummary("List devices (filters: type, vendor, hostname)");
        devices.MapGet("/{uuid}", GetDevice).WithSummary("Get one device");
        devices.MapPost("/{uuid}/disable", (string uuid, HttpRequest r, FabricConnection f) => SetEnabled(uuid, false, r, f))
            .WithSummary("Maintenance: the device takes no new accelerator requests (it keeps what it holds)");
        devices.MapPost("/{uuid}/enable", (string uuid, HttpRequest r, FabricConnection f) => SetEnabled(uuid, true, r, f))
            .WithSummary("End maintenance");

        var deployables = v2.MapGroup("/deployables").WithTags("deployables");
        deployables.MapGet("", ListDeployables).WithSummary("List deployables");
        deployables.MapGet("/{uuid}", GetDeployable).WithSummary("Get one deployable");
        deployables.MapPatch("/{uuid}/program", Program)
            .WithSummary("Program a function: [{op: replace, path: /program, value: [{image_uuid: <function uuid>}]}]; value [] offers all functions again");
    }

    private static async Task<IResult> ListDevices(HttpContext context, FabricConnection fabric)
    {
        var request = context.Request;
        Query.OnlyKnown(request, "type", "vendor", "hostname");
        var (type, vendor, host) = (Query.Get(request, "type"), Query.Get(request, "vendor"), Query.Get(request, "hostname"));
        var list = (await fabric.Vim.ListDevices(null))
            .Where(d => (type is null || d.Type == type) && (vendor is null || vendor == Vendor) && (host is null || d.Node == host));
        return JsonResults.Of(new JsonObject { ["devices"] = new JsonArray(list.Select(d => (JsonNode)RenderDevice(context, d)).ToArray()) });
    }

    private static async Task<IResult> GetDevice(string uuid, HttpContext context, FabricConnection fabric)
    {
        Query.OnlyKnown(context.Request);
        var device = await Find(uuid, DeviceUuid, "Device", fabric);
        return JsonResults.Of(RenderDevice(context, device));
    }

    private static async Task<IResult> SetEnabled(string uuid, bool enabled, HttpRequest request, FabricConnection fabric)
    {
        Query.OnlyKnown(request);
        var device = await Find(uuid, DeviceUuid, "Device", fabric);
        await fabric.Vim.SetDeviceEnabled(device.DeviceId, enabled, enabled ? "" : "maintenance (Cyborg API: disable)");
        return Results.Ok();
    }

    private static async Task<IResult> ListDeployables(HttpRequest request, FabricConnection fabric)
    {
        Query.OnlyKnown(request);
        var list = await fabric.Vim.ListDevices(null);
        return JsonResults.Of(new JsonObject { ["deployables"] = new JsonArray(list.Select(d => (JsonNode)RenderDeployable(request, d)).ToArray()) });
    }

    private static async Task<IResult> GetDeployable(string uuid, HttpRequest request, FabricConnection fabric)
    {
        Query.OnlyKnown(request);
        return JsonResults.Of(RenderDeployable(request, await Find(uuid, DeployableUuid, "Deployable", fabric)));
    }

    /// <summary>
    /// Cyborg's program request, with the image being a Fabric function: <c>image_uuid</c> a function's UUID (GET /fabric/v1/functions),
    /// or (Fabric) <c>function_id</c> its name. For Fabric's software devices programming selects the one function the device offers.
    /// </summary>
    private static async Task<IResult> Program(string uuid, HttpRequest request, FabricConnection fabric)
    {
        Query.OnlyKnown(request);
        var body = JsonBody.Array(await JsonBody.ReadAsync(request), "the body (a JSON patch of /program)");
        if (body.Count != 1)
        {
            throw ApiError.BadRequest("the program patch has exactly one operation: {\"op\": \"replace\", \"path\": \"/program\", \"value\": [{\"image_uuid\": ...}]}");
        }

        var operation = JsonBody.Object(body[0], "the program operation");
        JsonBody.OnlyKnown(operation, "the program operation", "op", "path", "value");
        if (JsonBody.String(operation, "op", "the program operation") != "replace" || JsonBody.String(operation, "path", "the program operation") != "/program")
        {
            throw ApiError.BadRequest("the program operation must be {\"op\": \"replace\", \"path\": \"/program\", ...}");
        }

        var images = JsonBody.Array(operation["value"], "the program operation's 'value'");
        string? function = null;
        if (images.Count > 1)
        {
            throw ApiError.BadRequest("a deployable is programmed with one image at a time");
        }

        if (images.Count == 1)
        {
            var image = JsonBody.Object(images[0], "the image to program");
            JsonBody.OnlyKnown(image, "the image to program", "image_uuid", "function_id");
            var imageUuid = JsonBody.String(image, "image_uuid", "the image to program");
            var functionId = JsonBody.String(image, "function_id", "the image to program");
            if ((imageUuid is null) == (functionId is null))
            {
                throw ApiError.BadRequest("name the image by 'image_uuid' (a function's UUID, GET /fabric/v1/functions) or by 'function_id' (its name), one of them");
            }

            function = functionId is not null
                ? AccelerationFunctions.All.FirstOrDefault(f => f == functionId)
                    ?? throw ApiError.BadRequest($"unknown function '{functionId}'; known: {string.Join(", ", AccelerationFunctions.All)}")
                : AccelerationFunctions.All.FirstOrDefault(f => ProfileGroups.FunctionUuid(f) == Uuids.Canonical(imageUuid))
                    ?? throw ApiError.BadRequest($"image {imageUuid} is not a Fabric function image; GET /fabric/v1/functions lists them");
        }

        var device = await Find(uuid, DeployableUuid, "Deployable", fabric);
        var programmed = await fabric.Vim.ProgramDevice(device.DeviceId, function);
        return JsonResults.Of(RenderDeployable(request, programmed));
    }

    private static async Task<DeviceView> Find(string uuid, Func<string, string> uuidOf, string what, FabricConnection fabric)
    {
        var canonical = Uuids.Canonical(uuid) ?? throw ApiError.BadRequest($"'{uuid}' is not a {what.ToLowerInvariant()} uuid");
        return (await fabric.Vim.ListDevices(null)).FirstOrDefault(d => uuidOf(d.DeviceId) == canonical)
            ?? throw ApiError.NotFound($"{what} not found with uuid {canonical}");
    }

    private const string Vendor = "fabric";

    private static JsonObject RenderDevice(HttpContext context, DeviceView d)
    {
        var uuid = DeviceUuid(d.DeviceId);
        var device = new JsonObject
        {
            ["uuid"] = uuid,
            ["type"] = d.Type,
            ["vendor"] = Vendor,
            ["model"] = d.Type,
            ["std_board_info"] = JsonSerializer.Serialize(new
            {
                device_id = d.DeviceId,
                functions = d.Functions,
                queue_pairs = d.CapacityQueuePairs,
                traits = TraitsOf(d),
                resource_classes = d.ResourceClasses ?? [ProfileGroups.ResourceClass],
            }),
            ["vendor_board_info"] = JsonSerializer.Serialize(new { health = d.Health.ToString(), reason = d.HealthReason, reserved_queue_pairs = d.ReservedQueuePairs }),
            ["hostname"] = d.Node,
            ["created_at"] = null,
            ["updated_at"] = null,
            ["links"] = Links.Self(context.Request, "devices", uuid),
        };
        if (Microversion.Of(context) >= Microversion.DeviceStatus)
        {
            device["status"] = d.Enabled ? "enabled" : "maintaining";
        }

        return device;
    }

    /// <summary>The device's traits; a view from a fabric without traits has its function traits.</summary>
    private static IReadOnlyList<string> TraitsOf(DeviceView d) => d.Traits ?? d.Functions.Select(ProfileGroups.TraitOf).ToArray();

    private static JsonObject RenderDeployable(HttpRequest request, DeviceView d)
    {
        var uuid = DeployableUuid(d.DeviceId);
        var attributes = new List<Dictionary<string, string>> { new() { ["rc"] = ProfileGroups.ResourceClass } };
        // Cyborg lists a deployable's traits as trait0, trait1, ...: here every trait placement matches, the operator's too.
        attributes.AddRange(TraitsOf(d).Select((t, i) => new Dictionary<string, string> { [$"trait{i}"] = t }));
        return new JsonObject
        {
            ["uuid"] = uuid,
            ["parent_id"] = null,
            ["root_id"] = null,
            ["name"] = d.DeviceId,
            ["num_accelerators"] = d.CapacityQueuePairs,
            ["device_id"] = null,
            ["attributes_list"] = JsonSerializer.Serialize(attributes),
            ["rp_uuid"] = RpUuid(d.DeviceId),
            ["driver_name"] = d.Type,
            ["bitstream_id"] = d.Functions.Count == 1 ? ProfileGroups.FunctionUuid(d.Functions[0]) : null,
            ["created_at"] = null,
            ["updated_at"] = null,
            ["links"] = Links.SelfAndBookmark(request, "deployables", uuid),
        };
    }
}
