using System.Text.Json.Nodes;
using Fabric.Api.Hosting;
using Fabric.Api.Http;
using Fabric.Api.Profiles;
using Fabric.Api.Requests;
using Fabric.Messages.Attachments;
using Fabric.Messages.Functions;
using Fabric.Messages.Node;
using Fabric.Messages.Operator;
using Fabric.Messages.Pipelines;

namespace Fabric.Api.Extensions;

/// <summary>
/// Fabric's own resources, apart from Cyborg's: the functions (with the UUIDs that stand for them as images and bitstreams),
/// pipelines of an accelerator request, and the dataplane figures of a host. Not versioned by the Cyborg microversion.
/// </summary>
public static class FabricEndpoints
{
    public const string Prefix = "/fabric/v1";

    public static void Map(WebApplication app)
    {
        var group = app.MapGroup(Prefix).WithTags("fabric");
        group.MapGet("/status", Status).WithSummary("Whether fabric-api is connected to the fabric's gateways, and the fabric's compute and control nodes");
        group.MapGet("/functions", Functions).WithSummary("The acceleration functions, their UUIDs (image_uuid, accel:bitstream_id) and traits");
        group.MapGet("/pipelines", ListPipelines).WithSummary("Pipelines (filter: accelerator_request=<uuid>)");
        group.MapPost("/pipelines", DefinePipeline).WithSummary("Define a pipeline on a bound accelerator request: {accelerator_request, name, stages}");
        group.MapGet("/accelerator_requests/{uuid}/service_level", GetServiceLevel)
            .WithSummary("An accelerator request's service level, as Fabric's profile keys (fabric:weight, fabric:committed_ops, ...)");
        group.MapPut("/accelerator_requests/{uuid}/service_level", SetServiceLevel)
            .WithSummary("Change an accelerator request's service level: the keys given change, the others stay; 409 when its device would oversell");
        group.MapGet("/dataplane/{hostname}", Dataplane).WithSummary("The dataplane of a compute node: its devices and queues with ops, errors and latency");
    }

    private static async Task<IResult> Status(HttpRequest request, FabricConnection fabric)
    {
        Query.OnlyKnown(request);
        _ = fabric.Operator;
        var info = await fabric.Vim.Info();
        return JsonResults.Of(new JsonObject
        {
            ["connected"] = true,
            ["compute_nodes"] = new JsonArray(info.ComputeNodes.Select(n => (JsonNode)n).ToArray()),
            ["control_nodes"] = new JsonArray(info.ControlNodes.Select(n => (JsonNode)n).ToArray()),
        });
    }

    private static IResult Functions(HttpRequest request)
    {
        Query.OnlyKnown(request);
        return JsonResults.Of(new JsonObject
        {
            ["functions"] = new JsonArray(AccelerationFunctions.All.Select(f => (JsonNode)new JsonObject
            {
                ["name"] = f,
                ["uuid"] = ProfileGroups.FunctionUuid(f),
                ["trait"] = ProfileGroups.TraitOf(f),
                ["resource_class"] = ProfileGroups.ResourceClass,
            }).ToArray()),
        });
    }

    private static async Task<IResult> ListPipelines(HttpRequest request, FabricConnection fabric, ArqStore store)
    {
        Query.OnlyKnown(request, "accelerator_request");
        string? attachment = null;
        if (Query.Get(request, "accelerator_request") is { } uuid)
        {
            attachment = (await FindArq(uuid, store)).AttachmentId;
        }

        var list = await fabric.Operator.Request<PipelineList>(new ListPipelines(attachment));
        return JsonResults.Of(new JsonObject { ["pipelines"] = new JsonArray(list.Pipelines.Select(p => (JsonNode)Render(p)).ToArray()) });
    }

    private static async Task<IResult> DefinePipeline(HttpRequest request, FabricConnection fabric, ArqStore store)
    {
        Query.OnlyKnown(request);
        var body = JsonBody.Object(await JsonBody.ReadAsync(request), "the pipeline");
        JsonBody.OnlyKnown(body, "the pipeline", "accelerator_request", "name", "stages");
        var uuid = JsonBody.String(body, "accelerator_request", "the pipeline") ?? throw ApiError.BadRequest("the pipeline: 'accelerator_request' is required");
        var name = JsonBody.String(body, "name", "the pipeline") ?? throw ApiError.BadRequest("the pipeline: 'name' is required");
        var stages = JsonBody.Array(body["stages"], "the pipeline: 'stages'")
            .Select((s, i) => s is JsonValue v && v.TryGetValue<string>(out var text) ? text : throw ApiError.BadRequest($"the pipeline: stage {i} must be a function name"))
            .ToArray();
        var arq = await FindArq(uuid, store);
        var pipeline = await fabric.Vim.DefinePipeline(arq.AttachmentId, name, stages);
        return JsonResults.Of(Render(pipeline), StatusCodes.Status201Created);
    }

    private static async Task<IResult> Dataplane(string hostname, HttpRequest request, FabricConnection fabric)
    {
        Query.OnlyKnown(request);
        var status = await fabric.Operator.Request<NodeStatus>(new GetNodeStatusOf(hostname));
        return JsonResults.Of(new JsonObject
        {
            ["hostname"] = status.Node,
            ["devices"] = new JsonArray(status.Devices.Select(d => (JsonNode)new JsonObject
            {
                ["device_id"] = d.DeviceId,
                ["type"] = d.Type,
                ["functions"] = new JsonArray(d.Functions.Select(f => (JsonNode)f).ToArray()),
                ["queue_pairs"] = d.QueuePairs,
                ["supervision"] = d.Supervision,
            }).ToArray()),
            ["queues"] = new JsonArray(status.Queues.Select(q => (JsonNode)new JsonObject
            {
                ["queue_id"] = q.QueueId,
                ["accelerator_request"] = Arq.Parse(q.QueueId)?.Uuid,
                ["instance"] = q.VmId,
                ["device_id"] = q.DeviceId,
                ["driver"] = q.Driver,
                ["ops"] = q.Ops,
                ["errors"] = q.Errors,
                ["driver_faults"] = q.DriverFaults,
                ["latency_p50_ns"] = q.LatencyP50Nanos,
                ["latency_p99_ns"] = q.LatencyP99Nanos,
            }).ToArray()),
        });
    }

    private static async Task<IResult> GetServiceLevel(string uuid, HttpRequest request, FabricConnection fabric, ArqStore store)
    {
        Query.OnlyKnown(request);
        var arq = await FindArq(uuid, store);
        return JsonResults.Of(RenderLevel(arq.Uuid, (await fabric.Vim.GetAttachment(arq.AttachmentId)).Level));
    }

    private static async Task<IResult> SetServiceLevel(string uuid, HttpRequest request, FabricConnection fabric, ArqStore store)
    {
        Query.OnlyKnown(request);
        var body = JsonBody.Object(await JsonBody.ReadAsync(request), "the service level");
        if (body.Select(k => k.Key).FirstOrDefault(k => !ServiceLevelKeys.All.Contains(k)) is { } unknown)
        {
            throw ApiError.BadRequest($"the service level: '{unknown}' is not a Fabric key; Fabric's keys are {string.Join(", ", ServiceLevelKeys.All)}");
        }

        var keys = body.Select(k => new KeyValuePair<string, string>(k.Key, k.Value is JsonValue v && v.GetValueKind() is System.Text.Json.JsonValueKind.String or System.Text.Json.JsonValueKind.Number
            ? (v.GetValueKind() == System.Text.Json.JsonValueKind.String ? v.GetValue<string>() : v.ToJsonString())
            : throw ApiError.BadRequest($"the service level: '{k.Key}' must be a string or a number, not {JsonBody.Kind(k.Value)}"))).ToArray();
        if (keys.Length == 0)
        {
            throw ApiError.BadRequest($"the service level: name at least one of {string.Join(", ", ServiceLevelKeys.All)}");
        }

        var arq = await FindArq(uuid, store);
        var current = (await fabric.Vim.GetAttachment(arq.AttachmentId)).Level;
        var (level, problem) = ServiceLevelKeys.Parse(keys, current);
        if (problem is not null)
        {
            throw ApiError.BadRequest($"the service level: {problem}");
        }

        return JsonResults.Of(RenderLevel(arq.Uuid, (await fabric.Vim.SetServiceLevel(arq.AttachmentId, level!)).Level));
    }

    private static JsonObject RenderLevel(string uuid, ServiceLevel? level)
    {
        var keys = new JsonObject();
        foreach (var (key, value) in ServiceLevelKeys.ToKeys(level ?? ServiceLevel.BestEffort))
        {
            keys[key] = value;
        }

        return new JsonObject { ["accelerator_request"] = uuid, ["service_level"] = keys };
    }

    private static async Task<Arq> FindArq(string uuid, ArqStore store)
    {
        var canonical = Uuids.Canonical(uuid) ?? throw ApiError.BadRequest($"'{uuid}' is not an accelerator request uuid");
        return await store.Find(canonical) ?? throw ApiError.NotFound($"ARQ not found with uuid {canonical}");
    }

    private static JsonObject Render(PipelineView p) => new()
    {
        ["id"] = p.PipelineId,
        ["accelerator_request"] = Arq.Parse(p.AttachmentId)?.Uuid,
        ["name"] = p.PipelineId[(p.PipelineId.LastIndexOf('/') + 1)..],
        ["stages"] = new JsonArray(p.Stages.Select(s => (JsonNode)s).ToArray()),
        ["device_id"] = p.DeviceId,
    };
}
