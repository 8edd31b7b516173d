using System.Net;
using System.Text.Json.Nodes;
using Xunit;

namespace Fabric.Api.Tests;

[Collection(ApiCollection.Name)]
public sealed class AcceleratorRequestTests(ApiFabric fabric)
{
    private HttpClient Http => fabric.Http;

    private async Task<string> State(string arq) => (string)(await Http.Get($"/v2/accelerator_requests/{arq}")).Expect(HttpStatusCode.OK).Body!["state"]!;

    [Fact]
    public async Task One_request_is_made_per_accelerator_of_each_group_and_each_can_be_read_and_listed()
    {
        await Http.CreateProfile("arq-count", "sha256:2", "crc32c:1");
        var arqs = await Http.CreateArqs("arq-count");
        Assert.Equal([0, 0, 1], arqs.Select(a => (int)a!["device_profile_group_id"]!).Order());
        var one = (await Http.Get($"/v2/accelerator_requests/{arqs.Uuids()[0]}")).Expect(HttpStatusCode.OK).Body!;
        Assert.Equal(("Initial", "arq-count"), ((string?)one["state"], (string?)one["device_profile_name"]));
        Assert.Equal($"http://localhost/v2/accelerator_requests/{arqs.Uuids()[0]}", (string?)one["links"]![0]!["href"]);
        Assert.Equal(one.ToJsonString(), (await Http.Get($"/v2/accelerator_requests/{arqs.Uuids()[0].ToUpperInvariant()}")).Body!.ToJsonString());

        var all = (await Http.Get("/v2/accelerator_requests")).Expect(HttpStatusCode.OK).Body!["arqs"]!.AsArray();
        Assert.Subset(all.Uuids().ToHashSet(), arqs.Uuids().ToHashSet());
        var resolved = (await Http.Get("/v2/accelerator_requests?bind_state=resolved")).Expect(HttpStatusCode.OK).Body!["arqs"]!.AsArray();
        Assert.DoesNotContain(resolved.Uuids(), arqs.Uuids().Contains);

        (await Http.Delete($"/v2/accelerator_requests?arqs={string.Join(",", arqs.Uuids())}")).Expect(HttpStatusCode.NoContent);
    }

    [Theory]
    [InlineData("{}", HttpStatusCode.BadRequest, "DeviceProfile name needed.")]
    [InlineData("{\"device_profile_name\": \"no-such-profile\"}", HttpStatusCode.NotFound, "Device Profile not found with name=no-such-profile")]
    [InlineData("{\"device_profile_name\": 5}", HttpStatusCode.BadRequest, "must be a string")]
    [InlineData("{\"device_profile_name\": \"arq-bad\", \"image_uuid\": \"x\"}", HttpStatusCode.BadRequest, "'image_uuid' is not supported")]
    [InlineData("{\"device_profile_name\": \"arq-bad\", \"device_profile_group_id\": 1}", HttpStatusCode.BadRequest, "'device_profile_group_id' is not supported")]
    [InlineData("{\"device_profile_name\": null, \"image_uuid\": null}", HttpStatusCode.BadRequest, "must be a string, not null")]
    [InlineData("[\"arq-bad\"]", HttpStatusCode.BadRequest, "must be a JSON object")]
    public async Task A_bad_create_is_refused_and_makes_no_request(string body, HttpStatusCode status, string message)
    {
        var before = (await Http.Get("/v2/accelerator_requests")).Body!["arqs"]!.AsArray().Count;
        Assert.Contains(message, (await Http.Post("/v2/accelerator_requests", body)).Expect(status).Fault);
        Assert.Equal(before, (await Http.Get("/v2/accelerator_requests")).Body!["arqs"]!.AsArray().Count);
    }

    [Fact]
    public async Task Unknown_or_malformed_uuids_and_filters_are_refused()
    {
        Assert.Contains("ARQ not found", (await Http.Get($"/v2/accelerator_requests/{Guid.NewGuid()}")).Expect(HttpStatusCode.NotFound).Fault);
        Assert.Contains("not an accelerator request uuid", (await Http.Get("/v2/accelerator_requests/arq-1")).Expect(HttpStatusCode.BadRequest).Fault);
        Assert.Contains("Expected state(s): ['resolved']", (await Http.Get("/v2/accelerator_requests?bind_state=bound")).Expect(HttpStatusCode.BadRequest).Fault);
        Assert.Contains("is not a uuid", (await Http.Get("/v2/accelerator_requests?instance=vm-1")).Expect(HttpStatusCode.BadRequest).Fault);
        Assert.Contains("either an ARQ uuid list or an instance UUID", (await Http.Delete("/v2/accelerator_requests")).Expect(HttpStatusCode.BadRequest).Fault);
        Assert.Contains("either an ARQ uuid list or an instance UUID",
            (await Http.Delete($"/v2/accelerator_requests?arqs={Guid.NewGuid()}&instance={Guid.NewGuid()}")).Expect(HttpStatusCode.BadRequest).Fault);
        Assert.Contains("is not a uuid", (await Http.Delete("/v2/accelerator_requests?instance=vm-1")).Expect(HttpStatusCode.BadRequest).Fault);
    }

    [Fact]
    public async Task Deleting_by_uuids_needs_every_one_to_exist_and_deletes_none_otherwise()
    {
        await Http.CreateProfile("arq-del", "crc32c:2");
        var arqs = (await Http.CreateArqs("arq-del")).Uuids();
        var missing = Guid.NewGuid().ToString();
        Assert.Contains(missing, (await Http.Delete($"/v2/accelerator_requests?arqs={arqs[0]},{missing}")).Expect(HttpStatusCode.NotFound).Fault);
        Assert.Equal("Initial", await State(arqs[0]));

        (await Http.Delete($"/v2/accelerator_requests?arqs={string.Join(",", arqs)}")).Expect(HttpStatusCode.NoContent);
        (await Http.Get($"/v2/accelerator_requests/{arqs[0]}")).Expect(HttpStatusCode.NotFound);
        (await Http.Delete($"/v2/accelerator_requests?arqs={arqs[0]}")).Expect(HttpStatusCode.NotFound);
    }

    public static TheoryData<string, HttpStatusCode, string> BadPatches => new()
    {
        { "[]", HttpStatusCode.BadRequest, "must be a JSON object" },
        { "{}", HttpStatusCode.BadRequest, "no accelerator request is named" },
        { """{"ARQ": {"op": "add"}}""", HttpStatusCode.BadRequest, "must be a JSON list" },
        { """{"ARQ": []}""", HttpStatusCode.BadRequest, "has no operation" },
        { """{"not-a-uuid": [{"op": "add", "path": "/hostname", "value": "HOST"}]}""", HttpStatusCode.BadRequest, "is not an accelerator request uuid" },
        { """{"ARQ": [{"op": "replace", "path": "/hostname", "value": "HOST"}]}""", HttpStatusCode.BadRequest, "Every op must be add or remove" },
        { """{"ARQ": [{"op": "add", "path": "/hostname", "value": "HOST"}, {"op": "remove", "path": "/instance_uuid"}]}""", HttpStatusCode.BadRequest, "Every op must be add or remove" },
        { """{"ARQ": [{"op": "add", "path": "/state", "value": "Bound"}]}""", HttpStatusCode.BadRequest, "Invalid path in patch /state" },
        { """{"ARQ": [{"op": "add", "path": "/hostname", "value": "HOST", "from": "x"}]}""", HttpStatusCode.BadRequest, "unknown field 'from'" },
        { """{"ARQ": [{"op": "add", "path": "/hostname", "value": 7}]}""", HttpStatusCode.BadRequest, "must be a string, not a number" },
        { """{"ARQ": [{"op": "add", "path": "/hostname", "value": "HOST"}, {"op": "add", "path": "/hostname", "value": "HOST"}]}""", HttpStatusCode.BadRequest, "appears twice" },
        { """{"ARQ": [{"op": "add", "path": "/hostname", "value": "HOST"}]}""", HttpStatusCode.BadRequest, "Fields absent in patch device_rp_uuid,instance_uuid" },
        { """{"ARQ": [{"op": "add", "path": "/hostname", "value": "HOST"}, {"op": "add", "path": "/device_rp_uuid", "value": "RP"}, {"op": "add", "path": "/instance_uuid", "value": "vm-1"}]}""", HttpStatusCode.BadRequest, "instance_uuid 'vm-1' of" },
        { """{"ARQ": [{"op": "add", "path": "/hostname", "value": "HOST"}, {"op": "add", "path": "/device_rp_uuid", "value": "rp-1"}, {"op": "add", "path": "/instance_uuid", "value": "INSTANCE"}]}""", HttpStatusCode.BadRequest, "device_rp_uuid 'rp-1'" },
        { """{"ARQ": [{"op": "add", "path": "/hostname", "value": "no-such-host"}, {"op": "add", "path": "/device_rp_uuid", "value": "RP"}, {"op": "add", "path": "/instance_uuid", "value": "INSTANCE"}]}""", HttpStatusCode.BadRequest, "no compute node named 'no-such-host'" },
        { """{"ARQ": [{"op": "add", "path": "/hostname", "value": "HOST"}, {"op": "add", "path": "/device_rp_uuid", "value": "5518a925-1c2c-49a2-a8bf-0927d9456f3e"}, {"op": "add", "path": "/instance_uuid", "value": "INSTANCE"}]}""", HttpStatusCode.BadRequest, "no Fabric deployable has resource provider" },
        { """{"ARQ": [{"op": "add", "path": "/hostname", "value": "HOST"}, {"op": "add", "path": "/device_rp_uuid", "value": "RP"}, {"op": "add", "path": "/instance_uuid", "value": "INSTANCE"}, {"op": "add", "path": "/project_id", "value": "p"}]}""", HttpStatusCode.NotAcceptable, "minimal required API version should be 2.1" },
        { """{"ARQ": [{"op": "remove", "path": "/hostname", "value": "HOST"}]}""", HttpStatusCode.BadRequest, "a remove operation takes no value" },
        { """{"UNKNOWN": [{"op": "add", "path": "/hostname", "value": "HOST"}, {"op": "add", "path": "/device_rp_uuid", "value": "RP"}, {"op": "add", "path": "/instance_uuid", "value": "INSTANCE"}]}""", HttpStatusCode.NotFound, "ARQ not found with uuid" },
    };

    [Theory]
    [MemberData(nameof(BadPatches))]
    public async Task A_wrong_bind_patch_is_refused_and_the_request_stays_Initial(string template, HttpStatusCode status, string message)
    {
        var arq = (await Http.CreateArqs(await EnsureProfile("arq-patch", "hmac-sha256"))).Uuids()[0];
        var body = template.Replace("UNKNOWN", Guid.NewGuid().ToString()).Replace("ARQ", arq).Replace("HOST", ApiFabric.Host)
            .Replace("\"RP\"", $"\"{await Http.RpOf(ApiFabric.CryptoDevice)}\"").Replace("INSTANCE", Guid.NewGuid().ToString());
        Assert.Contains(message, (await Http.Patch("/v2/accelerator_requests", body)).Expect(status).Fault);
        Assert.Equal("Initial", await State(arq));
        (await Http.Delete($"/v2/accelerator_requests?arqs={arq}")).Expect(HttpStatusCode.NoContent);
    }

    [Fact]
    public async Task A_bind_may_name_the_project_from_2_1()
    {
        var arq = (await Http.CreateArqs(await EnsureProfile("arq-project", "hmac-sha256"))).Uuids()[0];
        var instance = Guid.NewGuid().ToString();
        var patch = JsonNode.Parse(Calls.BindPatch([arq], instance, ApiFabric.Host, await Http.RpOf(ApiFabric.CryptoDevice)))!;
        patch[arq]!.AsArray().Add(new JsonObject { ["op"] = "add", ["path"] = "/project_id", ["value"] = "8934fbea7b3f4685bd8ee7cf166a4c09" });
        (await Http.Patch("/v2/accelerator_requests", patch.ToJsonString(), "accelerator 2.1")).Expect(HttpStatusCode.Accepted);
        Assert.Equal("Bound", (string?)Assert.Single(await Http.Resolved(instance))!["state"]);
        (await Http.Delete($"/v2/accelerator_requests?instance={instance}")).Expect(HttpStatusCode.NoContent);
    }

    private async Task<string> EnsureProfile(string name, string function)
    {
        var reply = await Http.Post("/v2/device_profiles", $$"""[{"name": "{{name}}", "groups": [{"resources:FPGA": "1", "accel:function_id": "{{function}}"}]}]""");
        Assert.True(reply.Status is HttpStatusCode.Created or HttpStatusCode.Conflict, reply.Text);
        return name;
    }

    [Fact]
    public async Task A_bound_request_is_not_bound_again_and_an_instance_takes_more_requests_only_as_a_hot_add_from_2_4()
    {
        await Http.CreateProfile("arq-hot", "chacha20-poly1305");
        var rp = await Http.RpOf(ApiFabric.CryptoDevice);
        var instance = Guid.NewGuid().ToString();
        var first = (await Http.CreateArqs("arq-hot")).Uuids();
        (await Http.Patch("/v2/accelerator_requests", Calls.BindPatch(first, instance, ApiFabric.Host, rp))).Expect(HttpStatusCode.Accepted);
        Assert.Equal("Bound", (string?)Assert.Single(await Http.Resolved(instance))!["state"]);

        var again = await Http.Patch("/v2/accelerator_requests", Calls.BindPatch(first, Guid.NewGuid().ToString(), ApiFabric.Host, rp));
        Assert.Contains($"Bad state: Bound for ARQ: {first[0]}. Expected state(s): ['Initial', 'Unbound']", again.Expect(HttpStatusCode.Conflict).Fault);

        var second = (await Http.CreateArqs("arq-hot")).Uuids();
        var refused = await Http.Patch("/v2/accelerator_requests", Calls.BindPatch(second, instance, ApiFabric.Host, rp));
        Assert.Contains($"Instance {instance} already has accelerator requests. Cannot bind additional ARQs.", refused.Expect(HttpStatusCode.BadRequest).Fault);
        Assert.Equal("Initial", await State(second[0]));

        (await Http.Patch("/v2/accelerator_requests", Calls.BindPatch(second, instance, ApiFabric.Host, rp), "accelerator 2.4")).Expect(HttpStatusCode.Accepted);
        var resolved = await Http.Resolved(instance);
        Assert.Equal(first.Concat(second).Order(), resolved.Uuids().Order());
        Assert.All(resolved, a => Assert.Equal("Bound", (string?)a!["state"]));
        Assert.Equal(2, resolved.Select(a => (string?)a!["attach_handle_info"]!["channel_path"]).Distinct().Count());

        (await Http.Delete($"/v2/accelerator_requests?instance={instance}")).Expect(HttpStatusCode.NoContent);
    }

    [Fact]
    public async Task Unbinding_makes_the_requests_Unbound_frees_their_queues_and_they_can_be_bound_to_another_instance()
    {
        await Http.CreateProfile("arq-unbind", "aes-256-gcm", "sha256");
        var rp = await Http.RpOf(ApiFabric.CryptoDevice);
        var arqs = (await Http.CreateArqs("arq-unbind")).Uuids();
        var instance = Guid.NewGuid().ToString();
        (await Http.Patch("/v2/accelerator_requests", Calls.BindPatch(arqs, instance, ApiFabric.Host, rp))).Expect(HttpStatusCode.Accepted);
        var channels = (await Http.Resolved(instance)).Select(a => (string)a!["attach_handle_info"]!["channel_path"]!).ToArray();

        var part = await Http.Patch("/v2/accelerator_requests", Calls.UnbindPatch([arqs[0]]));
        Assert.Contains("unbind all of its accelerator requests together", part.Expect(HttpStatusCode.Conflict).Fault);
        var partDelete = await Http.Delete($"/v2/accelerator_requests?arqs={arqs[0]}");
        Assert.Contains("delete all of its accelerator requests together", partDelete.Expect(HttpStatusCode.Conflict).Fault);
        Assert.Equal("Bound", await State(arqs[0]));

        (await Http.Patch("/v2/accelerator_requests", Calls.UnbindPatch(arqs))).Expect(HttpStatusCode.Accepted);
        foreach (var arq in arqs)
        {
            var view = (await Http.Get($"/v2/accelerator_requests/{arq}")).Expect(HttpStatusCode.OK).Body!;
            Assert.Equal("Unbound", (string?)view["state"]);
            Assert.Null(view["instance_uuid"]);
            Assert.Null(view["hostname"]);
            Assert.Empty(view["attach_handle_info"]!.AsObject());
        }

        Assert.All(channels, c => Assert.False(File.Exists(c), $"channel {c} was removed"));
        Assert.Empty((await Http.Get($"/v2/accelerator_requests?instance={instance}")).Body!["arqs"]!.AsArray());

        var next = Guid.NewGuid().ToString();
        (await Http.Patch("/v2/accelerator_requests", Calls.BindPatch(arqs, next, ApiFabric.Host, rp))).Expect(HttpStatusCode.Accepted);
        Assert.All(await Http.Resolved(next), a => Assert.Equal("Bound", (string?)a!["state"]));
        (await Http.Patch("/v2/accelerator_requests", Calls.UnbindPatch(arqs))).Expect(HttpStatusCode.Accepted);
        (await Http.Patch("/v2/accelerator_requests", Calls.UnbindPatch(arqs))).Expect(HttpStatusCode.Accepted);
        Assert.Equal("Unbound", await State(arqs[1]));
        (await Http.Delete($"/v2/accelerator_requests?arqs={string.Join(",", arqs)}")).Expect(HttpStatusCode.NoContent);
    }

    [Fact]
    public async Task An_Initial_request_unbound_becomes_Unbound_as_in_Cyborg()
    {
        await Http.CreateProfile("arq-initial-unbind", "crc32c");
        var arq = (await Http.CreateArqs("arq-initial-unbind")).Uuids()[0];
        (await Http.Patch("/v2/accelerator_requests", Calls.UnbindPatch([arq]))).Expect(HttpStatusCode.Accepted);
        Assert.Equal("Unbound", await State(arq));
        Assert.Contains("ARQ not found", (await Http.Patch("/v2/accelerator_requests", Calls.UnbindPatch([Guid.NewGuid().ToString()]))).Expect(HttpStatusCode.NotFound).Fault);
        (await Http.Delete($"/v2/accelerator_requests?arqs={arq}")).Expect(HttpStatusCode.NoContent);
    }

    [Fact]
    public async Task A_create_as_the_openstack_CLI_sends_it_with_null_group_and_image_and_unknown_fields_is_accepted_as_in_Cyborg()
    {
        await EnsureProfile("arq-cli-create", "crc32c");
        var reply = await Http.Post("/v2/accelerator_requests",
            """{"device_profile_name": "arq-cli-create", "device_profile_group_id": null, "image_uuid": null, "comment": "ignored"}""");
        var arq = (string)Assert.Single(reply.Expect(HttpStatusCode.Created).Body!["arqs"]!.AsArray())!["uuid"]!;
        Assert.Equal("Initial", await State(arq));
        (await Http.Delete($"/v2/accelerator_requests/{arq}")).Expect(HttpStatusCode.NoContent);
    }

    [Fact]
    public async Task One_request_is_bound_and_unbound_by_a_PATCH_on_its_own_path_as_the_SDK_does()
    {
        var arq = (await Http.CreateArqs(await EnsureProfile("arq-patch-one", "sha256"))).Uuids()[0];
        var instance = Guid.NewGuid().ToString();
        var rp = await Http.RpOf(ApiFabric.CryptoDevice);
        (await Http.Patch($"/v2/accelerator_requests/{arq}", Calls.BindPatch([arq], instance, ApiFabric.Host, rp))).Expect(HttpStatusCode.Accepted);
        var bound = Assert.Single(await Http.Resolved(instance))!;
        Assert.Equal(("Bound", arq), ((string?)bound["state"], (string?)bound["uuid"]));

        (await Http.Patch($"/v2/accelerator_requests/{arq}", Calls.UnbindPatch([arq]))).Expect(HttpStatusCode.Accepted);
        Assert.Equal("Unbound", await State(arq));

        var other = Guid.NewGuid().ToString();
        Assert.Contains("the body does not", (await Http.Patch($"/v2/accelerator_requests/{other}", Calls.UnbindPatch([arq]))).Expect(HttpStatusCode.BadRequest).Fault);
        Assert.Contains("ARQ not found", (await Http.Patch($"/v2/accelerator_requests/{other}", Calls.UnbindPatch([other]))).Expect(HttpStatusCode.NotFound).Fault);
        Assert.Contains("not an accelerator request uuid", (await Http.Patch("/v2/accelerator_requests/arq-1", Calls.UnbindPatch([arq]))).Expect(HttpStatusCode.BadRequest).Fault);
        (await Http.Delete($"/v2/accelerator_requests/{arq}")).Expect(HttpStatusCode.NoContent);
    }

    [Fact]
    public async Task One_request_is_deleted_on_its_own_path_and_an_unknown_one_is_404()
    {
        var arqs = (await Http.CreateArqs(await EnsureProfile("arq-delete-one", "crc32c"))).Uuids();
        var arq = arqs[0];
        (await Http.Delete($"/v2/accelerator_requests/{arq.ToUpperInvariant()}")).Expect(HttpStatusCode.NoContent);
        Assert.Contains("ARQ not found", (await Http.Get($"/v2/accelerator_requests/{arq}")).Expect(HttpStatusCode.NotFound).Fault);
        Assert.Contains("ARQ not found", (await Http.Delete($"/v2/accelerator_requests/{arq}")).Expect(HttpStatusCode.NotFound).Fault);
        Assert.Contains("not an accelerator request uuid", (await Http.Delete("/v2/accelerator_requests/arq-1")).Expect(HttpStatusCode.BadRequest).Fault);
    }
}
