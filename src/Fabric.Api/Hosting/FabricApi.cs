using Fabric.Api.Auth;
using Fabric.Api.Devices;
using Fabric.Api.Extensions;
using Fabric.Api.Http;
using Fabric.Api.Profiles;
using Fabric.Api.Requests;

namespace Fabric.Api.Hosting;

/// <summary>fabric-api as an ASP.NET Core application: services, the Cyborg error format and microversions, the routes.</summary>
public static class FabricApi
{
    public static WebApplication Build(string[] args)
    {
        // --insecure and --auth-none-anywhere are flags; configuration's command line wants a value after every switch.
        args = AuthOptions.WithFlagValues(args).Select(a => a == "--insecure" ? "--insecure=true" : a).ToArray();
        var builder = WebApplication.CreateBuilder(args);
        builder.Configuration.AddCommandLine(args, ApiOptions.Switches.Concat(AuthOptions.Switches).ToDictionary());

        // The host logs a start that fails (a taken port, a malformed --urls) with its whole stack trace; Program says it in
        // one line instead. Its Critical messages (a background service that stops the host) still show.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureEndpointDefaults(KestrelErrorBodies.Use));
        builder.Services.Configure<ApiOptions>(builder.Configuration.GetSection(ApiOptions.Section));
        builder.Services.Configure<AuthOptions>(builder.Configuration.GetSection(AuthOptions.Section));
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<KeystoneClient>();
        builder.Services.AddHttpClient(KeystoneClient.ClientName, client => client.Timeout = Timeout.InfiniteTimeSpan);
        builder.Services.AddSingleton<FabricConnection>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<FabricConnection>());
        builder.Services.AddSingleton<DeviceProfiles>();
        builder.Services.AddSingleton<ArqStore>();
        builder.Services.AddSingleton<InstanceLocks>();
        builder.Services.AddSingleton<BindNotifier>();
        builder.Services.AddSingleton<Binder>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<Binder>());
        builder.Services.AddSingleton<BindGate>();
        builder.Services.AddHostedService<BindSweeper>();
        builder.Services.AddHttpClient(BindNotifier.ClientName, client => client.Timeout = TimeSpan.FromSeconds(10));
        builder.Services.AddOpenApi(options => options.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "fabric-api: OpenStack Cyborg v2 API of Fabric";
            document.Info.Description = "Cyborg's accelerator API (microversions 2.0-2.3, and Fabric's 2.4: hot-add) and Fabric's extensions under /fabric/v1. "
                + "Errors: {\"error_message\": \"{\\\"faultcode\\\": ..., \\\"faultstring\\\": ..., \\\"debuginfo\\\": null}\"}. See docs/cyborg-compat.md.";
            return Task.CompletedTask;
        }));

        var app = builder.Build();
        app.UseMiddleware<ApiErrorMiddleware>();
        app.UseStatusCodePages(async context =>
        {
            var http = context.HttpContext;
            await ApiError.Write(http, http.Response.StatusCode, http.Response.StatusCode switch
            {
                StatusCodes.Status404NotFound => $"The resource could not be found: {http.Request.Path}",
                StatusCodes.Status405MethodNotAllowed => $"{http.Request.Method} is not allowed on {http.Request.Path}",
                _ => $"the request failed with status {http.Response.StatusCode}",
            });
        });
        app.UseMiddleware<KeystoneAuthMiddleware>();
        app.UseWhen(context => context.Request.Path.StartsWithSegments("/v2"), v2 => v2.Use(async (context, next) =>
        {
            Microversion.Negotiate(context);
            await next(context);
        }));

        app.MapOpenApi();
        VersionEndpoints.MapRoot(app);
        var routes = app.MapGroup("/v2");
        VersionEndpoints.MapV2(routes);
        ProfileEndpoints.Map(routes);
        ArqEndpoints.Map(routes);
        DeviceEndpoints.Map(routes);
        FabricEndpoints.Map(app);
        return app;
    }
}
