using System.Net;
using System.Text.Json.Nodes;
using Fabric.Api.Requests;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Fabric.Api.Tests;

/// <summary>A bind outlives the fabric-api that accepted it: another fabric-api over the same fabric finishes and reports it.</summary>
[Collection(ApiCollection.Name)]
public sealed class BindSurvivalTests(ApiFabric fabric)
{
    [Fact]
    public async Task A_bind_whose_fabric_api_stops_before_its_spawn_is_finished_by_another_fabric_api_and_Nova_is_told()
    {
        await fabric.Http.CreateProfile("survive-seal", "aes-256-gcm");
        var arqs = (await fabric.Http.CreateArqs("survive-seal")).Uuids();
        var rp = await fabric.Http.RpOf(ApiFabric.CryptoDevice);
        var instance = Guid.NewGuid().ToString();

        // fabric-api A records the bind, answers 202 and is stopped before it sends the spawn: as if it had been killed.
        var held = new HeldGate();
        await using (var a = Api(held, sweep: "00:00:00"))
        {
            using var http = a.CreateClient();
            await Connected(http);
            (await http.Patch("/v2/accelerator_requests", Calls.BindPatch(arqs, instance, ApiFabric.Host, rp))).Expect(HttpStatusCode.Accepted);
            await held.Reached.Task.WaitAsync(TimeSpan.FromSeconds(30));

            // What the bind asked for is the fabric's: another fabric-api shows it while it is under way.
            foreach (var arq in arqs)
            {
                var seen = (await fabric.Http.Get($"/v2/accelerator_requests/{arq}")).Expect(HttpStatusCode.OK).Body!;
                Assert.Equal("BindStarted", (string?)seen["state"]);
                Assert.Equal(ApiFabric.Host, (string?)seen["hostname"]);
                Assert.Equal(rp, (string?)seen["device_rp_uuid"]);
                Assert.Equal(instance, (string?)seen["instance_uuid"]);
            }
        }

        Assert.All(arqs, arq => Assert.Empty(fabric.Nova.EventsFor(arq)));

        // fabric-api B, over the same fabric, takes the bind up: realized, Bound, and Nova told.
        await using var b = Api(new BindGate(), sweep: "00:00:00.5");
        using var other = b.CreateClient();
        await Connected(other);
        await Eventually.Until(() => Task.FromResult(arqs.All(a => fabric.Nova.EventsFor(a).Count > 0)), "Nova to be told about the taken-up binds", within: TimeSpan.FromSeconds(90));
        foreach (var arq in arqs)
        {
            Assert.All(fabric.Nova.EventsFor(arq), told =>
            {
                Assert.Equal("accelerator-request-bound", (string?)told["name"]);
                Assert.Equal(instance, (string?)told["server_uuid"]);
                Assert.Equal("completed", (string?)told["status"]);
            });
        }

        var resolved = await other.Resolved(instance);
        Assert.Equal(arqs.Order(), resolved.Uuids().Order());
        Assert.All(resolved, arq =>
        {
            Assert.Equal("Bound", (string?)arq!["state"]);
            Assert.Equal(ApiFabric.Host, (string?)arq["hostname"]);
            Assert.Equal("FABRIC_CHANNEL", (string?)arq["attach_handle_type"]);
        });

        (await other.Delete($"/v2/accelerator_requests?instance={instance}")).Expect(HttpStatusCode.NoContent);
    }

    [Fact]
    public async Task A_bind_realized_whose_fabric_api_stops_before_telling_Nova_is_reported_by_another_fabric_api()
    {
        await fabric.Http.CreateProfile("survive-report", "aes-256-gcm");
        var arqs = (await fabric.Http.CreateArqs("survive-report")).Uuids();
        var rp = await fabric.Http.RpOf(ApiFabric.CryptoDevice);
        var instance = Guid.NewGuid().ToString();

        // fabric-api A's spawn realizes the accelerators; A is stopped before it tells Nova.
        var held = new HeldGate(beforeReport: true);
        await using (var a = Api(held, sweep: "00:00:00"))
        {
            using var http = a.CreateClient();
            await Connected(http);
            (await http.Patch("/v2/accelerator_requests", Calls.BindPatch(arqs, instance, ApiFabric.Host, rp))).Expect(HttpStatusCode.Accepted);
            await held.Reached.Task.WaitAsync(TimeSpan.FromSeconds(60));
        }

        Assert.All(arqs, arq => Assert.Empty(fabric.Nova.EventsFor(arq)));

        await using var b = Api(new BindGate(), sweep: "00:00:00.5");
        using var other = b.CreateClient();
        await Connected(other);
        var bound = await other.Resolved(instance);
        Assert.All(bound, arq => Assert.Equal("Bound", (string?)arq!["state"]));
        await Eventually.Until(() => Task.FromResult(arqs.All(a => fabric.Nova.EventsFor(a).Count > 0)), "Nova to be told about the realized binds", within: TimeSpan.FromSeconds(90));
        Assert.All(arqs.SelectMany(fabric.Nova.EventsFor), told =>
        {
            Assert.Equal(instance, (string?)told["server_uuid"]);
            Assert.Equal("completed", (string?)told["status"]);
        });

        (await other.Delete($"/v2/accelerator_requests?instance={instance}")).Expect(HttpStatusCode.NoContent);
    }

    private WebApplicationFactory<Program> Api(BindGate gate, string sweep) =>
        new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            web.UseSetting("Fabric:Contacts", $"127.0.0.1:{fabric.Node.Address.Port}");
            web.UseSetting("Fabric:Data", fabric.DataFolder);
            web.UseSetting("Fabric:NovaEventsUrl", fabric.Nova.EventsUrl);
            web.UseSetting("Fabric:NovaEventsToken", "service-token");
            web.UseSetting("Fabric:BindSweepInterval", sweep);
            web.ConfigureLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
            web.ConfigureTestServices(services =>
            {
                services.AddSingleton(gate);
                services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(2));
            });
        });

    private static Task Connected(HttpClient http) => Eventually.Until(async () =>
    {
        using var response = await http.GetAsync("/fabric/v1/status");
        return response.StatusCode == HttpStatusCode.OK
            && JsonNode.Parse(await response.Content.ReadAsStringAsync())!["compute_nodes"]!.AsArray().Any(n => (string?)n == ApiFabric.Host);
    }, "fabric-api to connect to the fabric's gateways", within: TimeSpan.FromSeconds(60));

    /// <summary>Holds every bind for good before its spawn (or before its report), as a fabric-api killed there.</summary>
    private sealed class HeldGate(bool beforeReport = false) : BindGate
    {
        public TaskCompletionSource Reached { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override Task BeforeSpawn(string instance) => beforeReport ? Task.CompletedTask : Hold();

        public override Task BeforeReport(string instance) => beforeReport ? Hold() : Task.CompletedTask;

        private Task Hold()
        {
            Reached.TrySetResult();
            return new TaskCompletionSource().Task;
        }
    }
}
