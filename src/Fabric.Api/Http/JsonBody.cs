using System.Text.Json;
using System.Text.Json.Nodes;

namespace Fabric.Api.Http;

/// <summary>Request bodies: read whole (bounded), parsed strictly, every field checked for its type; a bad one is a 400 that says which.</summary>
public static class JsonBody
{
    public const int MaxBytes = 1 << 20;

    public static async Task<JsonNode> ReadAsync(HttpRequest request)
    {
        if (request.ContentType is { Length: > 0 } type && !IsJson(type))
        {
            throw new ApiError(StatusCodes.Status415UnsupportedMediaType, $"the body must be application/json, not {type}");
        }

        if (request.ContentLength > MaxBytes)
        {
            throw new ApiError(StatusCodes.Status413PayloadTooLarge, $"the body is larger than {MaxBytes} bytes");
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[16384];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, request.HttpContext.RequestAborted)) > 0)
        {
            if (buffer.Length + read > MaxBytes)
            {
                throw new ApiError(StatusCodes.Status413PayloadTooLarge, $"the body is larger than {MaxBytes} bytes");
            }

            buffer.Write(chunk, 0, read);
        }

        if (buffer.Length == 0)
        {
            throw ApiError.BadRequest("the request needs a JSON body");
        }

        try
        {
            return JsonNode.Parse(buffer.ToArray(), documentOptions: new JsonDocumentOptions { MaxDepth = 32, AllowDuplicateProperties = false })
                ?? throw ApiError.BadRequest("the body is JSON null; an object or list is expected");
        }
        catch (JsonException ex)
        {
            throw ApiError.BadRequest($"the body is not valid JSON: {ex.Message}");
        }
    }

    private static bool IsJson(string contentType)
    {
        var media = contentType.Split(';', 2)[0].Trim();
        return media.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || media.EndsWith("+json", StringComparison.OrdinalIgnoreCase);
    }

    public static JsonObject Object(JsonNode? node, string what) =>
        node as JsonObject ?? throw ApiError.BadRequest($"{what} must be a JSON object, not {Kind(node)}");

    public static JsonArray Array(JsonNode? node, string what) =>
        node as JsonArray ?? throw ApiError.BadRequest($"{what} must be a JSON list, not {Kind(node)}");

    /// <summary>Refuses fields the API does not know: a misspelt field would otherwise be ignored in silence.</summary>
    public static void OnlyKnown(JsonObject obj, string what, params string[] known)
    {
        foreach (var (key, _) in obj)
        {
            if (!known.Contains(key, StringComparer.Ordinal))
            {
                throw ApiError.BadRequest($"{what}: unknown field '{key}'; known fields: {string.Join(", ", known)}");
            }
        }
    }

    /// <summary>The string at <paramref name="key"/>, or null when absent (or JSON null and <paramref name="nullable"/>).</summary>
    public static string? String(JsonObject obj, string key, string what, bool nullable = false)
    {
        if (!obj.TryGetPropertyValue(key, out var node))
        {
            return null;
        }

        if (node is null)
        {
            return nullable ? null : throw ApiError.BadRequest($"{what}: '{key}' must be a string, not null");
        }

        return node is JsonValue value && value.GetValueKind() == JsonValueKind.String
            ? value.GetValue<string>()
            : throw ApiError.BadRequest($"{what}: '{key}' must be a string, not {Kind(node)}");
    }

    public static string Kind(JsonNode? node) => node switch
    {
        null => "null",
        JsonObject => "an object",
        JsonArray => "a list",
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => "a string",
            JsonValueKind.Number => "a number",
            JsonValueKind.True or JsonValueKind.False => "a boolean",
            _ => "a value",
        },
        _ => "a value",
    };
}

/// <summary>Query strings: only known parameters, each at most once.</summary>
public static class Query
{
    public static void OnlyKnown(HttpRequest request, params string[] known)
    {
        foreach (var (key, values) in request.Query)
        {
            if (!known.Contains(key, StringComparer.Ordinal))
            {
                throw ApiError.BadRequest(known.Length == 0
                    ? $"unknown query parameter '{key}'; this resource takes none"
                    : $"unknown query parameter '{key}'; known: {string.Join(", ", known)}");
            }

            if (values.Count > 1)
            {
                throw ApiError.BadRequest($"query parameter '{key}' is given {values.Count} times; give it once");
            }
        }
    }

    public static string? Get(HttpRequest request, string key) =>
        request.Query.TryGetValue(key, out var v) ? v.ToString() : null;
}
