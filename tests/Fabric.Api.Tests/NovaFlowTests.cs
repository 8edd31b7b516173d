using System.Net;
using System.Text.Json.Nodes;
using Xunit;

namespace Fabric.Api.Tests;

/// <summary>The calls Nova's Cyborg client makes, in its order, against fabric-api.</summary>
[Collection(ApiCollection.Name)]
public sealed class NovaFlowTests(ApiFabric fabric)
{
    private HttpClient Http => fabric.Http;

    [Fact]
    public async Task Nova_creates_requests_binds_them_hears_they_are_bound_reads_the_attach_handles_and_deletes_them_by_instance()
    {
        // An operator defines the profile; Nova reads its groups by name to build the placement request.
        await Http.CreateProfile("nova-seal", "aes-256-gcm", "sha256");
        var profiles = (await Http.Get("/v2/device_profiles?name=nova-seal")).Expect(HttpStatusCode.OK).Body!["device_profiles"]!.AsArray();
        var groups = Assert.Single(profiles)!["groups"]!.AsArray();
        Assert.Equal(2, groups.Count);
        Assert.Equal("1", (string?)groups[0]!["resources:CUSTOM_FABRIC_ACCELERATOR"]);
        Assert.Equal("required", (string?)groups[0]!["trait:CUSTOM_FABRIC_AES_256_GCM"]);

        // _create_arqs: one request per accelerator of each group, unbound.
        var arqs = await Http.CreateArqs("nova-seal");
        Assert.Equal(2, arqs.Count);
        Assert.Equal([0, 1], arqs.Select(a => (int)a!["device_profile_group_id"]!).Order());
        Assert.All(arqs, a =>
        {
            Assert.Equal("Initial", (string?)a!["state"]);
            Assert.Null(a["instance_uuid"]);
            Assert.Null(a["hostname"]);
            Assert.Equal("nova-seal", (string?)a["device_profile_name"]);
            Assert.Equal("", (string?)a["attach_handle_type"]);
            Assert.Empty(a["attach_handle_info"]!.AsObject());
        });

        // bind_arqs: one PATCH for the instance, 202, the work goes on in the background.
        var instance = Guid.NewGuid().ToString();
        var rp = await Http.RpOf(ApiFabric.CryptoDevice);
        (await Http.Patch("/v2/accelerator_requests", Calls.BindPatch(arqs.Uuids(), instance, ApiFabric.Host, rp))).Expect(HttpStatusCode.Accepted);

        // Nova waits for accelerator-request-bound (completed) for every request...
        await Eventually.Until(() => Task.FromResult(arqs.Uuids().All(a => fabric.Nova.EventsFor(a).Count > 0)), "Nova to be told about the binds");
        foreach (var arq in arqs.Uuids())
        {
            var told = Assert.Single(fabric.Nova.EventsFor(arq));
            Assert.Equal("accelerator-request-bound", (string?)told["name"]);
            Assert.Equal(instance, (string?)told["server_uuid"]);
            Assert.Equal("completed", (string?)told["status"]);
        }

        var posts = fabric.Nova.Posts.Where(p => p.Body?["events"]?.AsArray().Any(e => arqs.Uuids().Contains((string?)e!["tag"])) == true).ToArray();
        Assert.All(posts, p =>
        {
            Assert.Equal((NovaStandIn.EventsPath, "service-token", 200), (p.Path, p.Token, p.Answer));
            Assert.Equal(("compute 2.82", "2.82"), (p.Microversion, p.NovaMicroversion));
            Assert.Equal("application/json; charset=utf-8", p.ContentType);
            Assert.True(p.ContentLength > 0, "the events are sent with a Content-Length");
        });

        // ...then reads the resolved requests of the instance and their attach handles.
        var resolved = await Http.Resolved(instance);
        Assert.Equal(arqs.Uuids().Order(), resolved.Uuids().Order());
        foreach (var arq in resolved)
        {
            Assert.Equal("Bound", (string?)arq!["state"]);
            Assert.Equal(instance, (string?)arq["instance_uuid"]);
            Assert.Equal(ApiFabric.Host, (string?)arq["hostname"]);
            Assert.Equal(rp, (string?)arq["device_rp_uuid"]);
            Assert.Equal("FABRIC_CHANNEL", (string?)arq["attach_handle_type"]);
            Assert.NotNull((string?)arq["attach_handle_uuid"]);
            var info = arq["attach_handle_info"]!;
            Assert.True(File.Exists((string)info["channel_path"]!), "the guest channel exists where the handle says");
            Assert.Equal(ApiFabric.Host, (string?)info["node"]);
            Assert.True(int.Parse((string)info["slot_count"]!) > 0);
        }

        // The guest channel is served: the dataplane of the host lists a queue per request, for the instance.
        var dataplane = (await Http.Get($"/fabric/v1/dataplane/{ApiFabric.Host}")).Expect(HttpStatusCode.OK).Body!;
        var queues = dataplane["queues"]!.AsArray().Where(q => (string?)q!["instance"] == instance).ToArray();
        Assert.Equal(arqs.Uuids().Order(), queues.Select(q => (string)q!["accelerator_request"]!).Order());

        // delete_arqs_for_instance: unbinds (channels removed, capacity released) and deletes; again is no error.
        var channels = resolved.Select(a => (string)a!["attach_handle_info"]!["channel_path"]!).ToArray();
        (await Http.Delete($"/v2/accelerator_requests?instance={instance}")).Expect(HttpStatusCode.NoContent);
        (await Http.Delete($"/v2/accelerator_requests?instance={instance}")).Expect(HttpStatusCode.NoContent);
        foreach (var arq in arqs.Uuids())
        {
            Assert.Equal("ARQ not found with uuid " + arq, (await Http.Get($"/v2/accelerator_requests/{arq}")).Expect(HttpStatusCode.NotFound).Fault);
        }

        Assert.Empty((await Http.Get($"/v2/accelerator_requests?instance={instance}")).Expect(HttpStatusCode.OK).Body!["arqs"]!.AsArray());
        Assert.All(channels, c => Assert.False(File.Exists(c), $"channel {c} was removed"));
        var device = (await Http.Get("/v2/devices?hostname=" + ApiFabric.Host)).Body!["devices"]!.AsArray()
            .Single(d => ((string)d!["std_board_info"]!).Contains(ApiFabric.CryptoDevice))!;
        Assert.Contains("\"reserved_queue_pairs\":0", (string)device["vendor_board_info"]!);
    }
}
