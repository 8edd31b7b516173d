using Fabric.Api.Auth;
using Fabric.Api.Hosting;
using Fabric.Security;
using Fabric.Vim.Client;
using Microsoft.Extensions.Options;

// fabric-api: the OpenStack Cyborg v2 API in front of a Fabric, itself a cluster client of the fabric's gateways.
if (args.Contains("--help") || args.Contains("-h"))
{
    Console.WriteLine(ApiOptions.Usage);
    Console.WriteLine("authentication (docs/cyborg-compat.md, \"Authentication and projects\"):");
    Console.WriteLine(AuthOptions.Usage);
    return 0;
}

var app = FabricApi.Build(args);
var options = app.Services.GetRequiredService<IOptions<ApiOptions>>().Value;
try
{
    ContactPoints.Parse(options.Contacts);
    options.LoadTls();
    options.PublicBase();
    app.Services.GetRequiredService<IOptions<AuthOptions>>().Value.Validate(app.Configuration["urls"]
        ?? (app.Configuration["http_ports"] is { Length: > 0 } ports ? string.Join(';', ports.Split(';').Select(p => $"http://*:{p}")) : "http://localhost:5000"));
}
catch (Exception ex) when (ex is ContactPointException or ClusterTlsException or LocalTlsException or FormatException or InvalidOperationException)
{
    Console.Error.WriteLine($"fabric-api: {ex.Message}");
    return 2;
}

try
{
    await app.StartAsync();
}
catch (Exception ex) when (ex is IOException or FormatException or InvalidOperationException or ArgumentException)
{
    // A taken port (AddressInUseException is an IOException) or a malformed --urls: one line that says which, not a stack trace.
    Console.Error.WriteLine($"fabric-api: cannot listen on {app.Configuration["urls"] ?? "http://localhost:5000"}: {ex.Message}");
    await app.DisposeAsync();
    return 3;
}

await app.WaitForShutdownAsync();
return 0;

/// <summary>The entry point, visible to the tests' WebApplicationFactory.</summary>
public partial class Program;
