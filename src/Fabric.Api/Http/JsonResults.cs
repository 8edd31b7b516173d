using System.Text;
using System.Text.Json.Nodes;

namespace Fabric.Api.Http;

public static class JsonResults
{
    public static IResult Of(JsonNode body, int status = StatusCodes.Status200OK) =>
        Results.Content(body.ToJsonString(), "application/json", Encoding.UTF8, status);
}
