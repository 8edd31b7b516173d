using System.Text.Json.Nodes;
using Fabric.Api.Http;

namespace Fabric.Api.Requests;

/// <summary>What a bind names: the instance, the host, the device's resource provider and (from 2.1) the project.</summary>
public sealed record BindFields(string Instance, string Host, string DeviceRpUuid, string? Project = null);

/// <summary>
/// <c>PATCH /v2/accelerator_requests</c>: ARQ uuid -> JSON-Patch operations on <c>/hostname</c>, <c>/device_rp_uuid</c>,
/// <c>/instance_uuid</c> (and <c>/project_id</c> from 2.1); every op <c>add</c> (bind, all three fields) or every op <c>remove</c> (unbind).
/// </summary>
public sealed record ArqPatch(bool Bind, IReadOnlyDictionary<string, BindFields?> Requests)
{
    private static readonly string[] Paths = ["hostname", "device_rp_uuid", "instance_uuid", "project_id"];
    private static readonly string[] Required = ["hostname", "device_rp_uuid", "instance_uuid"];

    public static ArqPatch Parse(JsonNode body, Microversion version)
    {
        var patches = JsonBody.Object(body, "the body (accelerator request uuid -> list of patch operations)");
        if (patches.Count == 0)
        {
            throw ApiError.BadRequest("Couldn't apply patch. Reason: no accelerator request is named");
        }

        string? op = null;
        var requests = new Dictionary<string, BindFields?>(StringComparer.Ordinal);
        foreach (var (key, value) in patches)
        {
            var uuid = Uuids.Canonical(key) ?? throw ApiError.BadRequest($"Couldn't apply patch. Reason: '{key}' is not an accelerator request uuid");
            if (requests.ContainsKey(uuid))
            {
                throw ApiError.BadRequest($"Couldn't apply patch. Reason: accelerator request {uuid} is named twice");
            }

            var operations = JsonBody.Array(value, $"the patch of {key}");
            if (operations.Count == 0)
            {
                throw ApiError.BadRequest($"Couldn't apply patch. Reason: the patch of {key} has no operation");
            }

            var fields = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var item in operations)
            {
                var operation = JsonBody.Object(item, $"an operation in the patch of {key}");
                JsonBody.OnlyKnown(operation, $"an operation in the patch of {key}", "op", "path", "value");
                var thisOp = JsonBody.String(operation, "op", $"an operation in the patch of {key}");
                if (thisOp is not ("add" or "remove") || (op is not null && op != thisOp))
                {
                    throw ApiError.BadRequest("Couldn't apply patch. Reason: Every op must be add or remove (all add to bind, all remove to unbind)");
                }

                op = thisOp;
                var path = JsonBody.String(operation, "path", $"an operation in the patch of {key}")
                    ?? throw ApiError.BadRequest($"Couldn't apply patch. Reason: an operation in the patch of {key} has no 'path'");
                var name = path.TrimStart('/');
                if (name == "project_id" && version < Microversion.ProjectId)
                {
                    throw ApiError.NotAcceptable($"Request not acceptable. The minimal required API version should be {Microversion.ProjectId}");
                }

                if (!Paths.Contains(name) || !path.StartsWith('/'))
                {
                    throw ApiError.BadRequest($"Couldn't apply patch. Reason: Invalid path in patch {path}");
                }

                if (fields.ContainsKey(name))
                {
                    throw ApiError.BadRequest($"Couldn't apply patch. Reason: {path} appears twice in the patch of {key}");
                }

                if (op == "add")
                {
                    var text = JsonBody.String(operation, "value", $"the {path} operation of {key}");
                    if (string.IsNullOrWhiteSpace(text))
                    {
                        throw ApiError.BadRequest($"Couldn't apply patch. Reason: the {path} operation of {key} needs a non-empty string value");
                    }

                    fields[name] = text;
                }
                else
                {
                    if (operation.ContainsKey("value"))
                    {
                        throw ApiError.BadRequest($"Couldn't apply patch. Reason: a remove operation takes no value ({path} of {key})");
                    }

                    fields[name] = "";
                }
            }

            requests[uuid] = op == "add" ? Fields(key, fields) : null;
        }

        return new ArqPatch(op == "add", requests);
    }

    private static BindFields Fields(string arq, Dictionary<string, string> fields)
    {
        var absent = Required.Where(f => !fields.ContainsKey(f)).ToArray();
        if (absent.Length > 0)
        {
            throw ApiError.BadRequest($"Couldn't apply patch. Reason: Fields absent in patch {string.Join(",", absent)} (accelerator request {arq})");
        }

        var instance = Uuids.Canonical(fields["instance_uuid"])
            ?? throw ApiError.BadRequest($"Couldn't apply patch. Reason: instance_uuid '{fields["instance_uuid"]}' of {arq} is not a uuid");
        var rp = Uuids.Canonical(fields["device_rp_uuid"])
            ?? throw ApiError.BadRequest($"Couldn't apply patch. Reason: device_rp_uuid '{fields["device_rp_uuid"]}' of {arq} is not a uuid");
        if (fields.TryGetValue("project_id", out var project) && project.Length > 255)
        {
            throw ApiError.BadRequest($"Couldn't apply patch. Reason: project_id of {arq} is longer than 255 characters");
        }

        var host = fields["hostname"];
        if (host.Length > 255)
        {
            throw ApiError.BadRequest($"Couldn't apply patch. Reason: hostname of {arq} is longer than 255 characters");
        }

        return new BindFields(instance, host, rp, string.IsNullOrEmpty(project) ? null : project);
    }
}
