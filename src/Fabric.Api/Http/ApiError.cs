using System.Text.Json;
using Fabric.Messages.Errors;
using Fabric.Vim.Client;

namespace Fabric.Api.Http;

/// <summary>A request refused with an HTTP status and a message for people; written in Cyborg's error format.</summary>
public sealed class ApiError(int status, string message) : Exception(message)
{
    public int Status { get; } = status;

    public static ApiError BadRequest(string message) => new(StatusCodes.Status400BadRequest, message);

    public static ApiError NotFound(string message) => new(StatusCodes.Status404NotFound, message);

    public static ApiError Conflict(string message) => new(StatusCodes.Status409Conflict, message);

    public static ApiError NotAcceptable(string message) => new(StatusCodes.Status406NotAcceptable, message);

    /// <summary>The HTTP answer to a refusal of the fabric.</summary>
    public static ApiError From(Rejected rejected) => new(rejected.Reason switch
    {
        RejectReason.InvalidArgument or RejectReason.UnknownFunction or RejectReason.FunctionNotSupported => StatusCodes.Status400BadRequest,
        RejectReason.NotFound => StatusCodes.Status404NotFound,
        RejectReason.AlreadyExists or RejectReason.IllegalState or RejectReason.NoCapacity or RejectReason.DeviceUnavailable => StatusCodes.Status409Conflict,
        _ => StatusCodes.Status503ServiceUnavailable,
    }, rejected.Message);

    /// <summary>
    /// Cyborg's error body: the WSME fault (faultcode, faultstring, debuginfo) as a JSON string under <c>error_message</c>,
    /// which is what its ParsableErrorMiddleware sends and what its clients parse.
    /// </summary>
    public static async Task Write(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(Body(status, message));
    }

    public static string Body(int status, string message)
    {
        var fault = JsonSerializer.Serialize(new Dictionary<string, string?>
        {
            ["faultcode"] = status >= 500 ? "Server" : "Client",
            ["faultstring"] = message,
            ["debuginfo"] = null,
        });
        return JsonSerializer.Serialize(new Dictionary<string, string> { ["error_message"] = fault });
    }
}

/// <summary>Turns every failure of a request into a Cyborg error: typed ones with their status, anything else a 500 that is logged.</summary>
public sealed class ApiErrorMiddleware(RequestDelegate next, ILogger<ApiErrorMiddleware> log)
{
    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context);
        }
        catch (Exception ex) when (!context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested)
        {
            var (status, message) = ex switch
            {
                ApiError e => (e.Status, e.Message),
                FabricRejectedException r => (ApiError.From(r.Rejected).Status, r.Rejected.Message),
                FabricUnreachableException u => (StatusCodes.Status503ServiceUnavailable, $"the fabric did not answer: {u.Message}"),
                BadHttpRequestException b => (b.StatusCode, b.Message),
                _ => (StatusCodes.Status500InternalServerError, "the request failed inside fabric-api; see its log"),
            };
            if (status >= 500)
            {
                log.LogError(ex, "{Method} {Path} failed", context.Request.Method, context.Request.Path);
            }

            // Headers set before the failure (the microversion range) stay: Cyborg sends them with its errors too.
            context.Response.Headers.ContentLength = null;
            await ApiError.Write(context, status, message);
        }
    }
}
