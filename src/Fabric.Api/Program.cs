using Fabric.Api.Hosting;
using Fabric.Security;
using Fabric.Vim.Client;
using Microsoft.Extensions.Options;

// fabric-api: the OpenStack Cyborg v2 API in front of a Fabric, itself a cluster client of the fabric's gateways.
if (args.Contains("--help") || args.Contains("-h"))
{
    Console.WriteLine(ApiOptions.Usage);
    return 0;
}

var app = FabricApi.Build(args);
var options = app.Services.GetRequiredService<IOptions<ApiOptions>>().Value;
try
{
    ContactPoints.Parse(options.Contacts);
    options.LoadTls();
}
catch (Exception ex) when (ex is ContactPointException or ClusterTlsException)
{
    Console.Error.WriteLine($"fabric-api: {ex.Message}");
    return 2;
}

await app.RunAsync();
return 0;

/// <summary>The entry point, visible to the tests' WebApplicationFactory.</summary>
public partial class Program;
