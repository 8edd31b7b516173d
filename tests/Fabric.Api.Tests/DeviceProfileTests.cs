using System.Net;
using System.Text.Json.Nodes;
using Xunit;

namespace Fabric.Api.Tests;

[Collection(ApiCollection.Name)]
public sealed class DeviceProfileTests(ApiFabric fabric)
{
    private HttpClient Http => fabric.Http;

    [Fact]
    public async Task A_profile_is_created_listed_got_by_uuid_and_by_name_from_2_2_and_deleted()
    {
        var body = """
            [{"name": "dp-crud", "description": "sealing", "groups": [
              {"resources:CUSTOM_ACCELERATOR_FPGA": "2", "trait:CUSTOM_FABRIC_CHACHA20_POLY1305": "required"},
              {"resources:FPGA": 1, "accel:bitstream_id": "BITSTREAM"}]}]
            """;
        var sha = (string)(await Http.Get("/fabric/v1/functions")).Body!["functions"]!.AsArray().Single(f => (string?)f!["name"] == "sha256")!["uuid"]!;
        var created = (await Http.Post("/v2/device_profiles", body.Replace("BITSTREAM", sha.ToUpperInvariant()))).Expect(HttpStatusCode.Created).Body!;
        var uuid = (string)created["uuid"]!;
        Assert.Equal("dp-crud", (string?)created["name"]);
        Assert.Equal($"http://localhost/v2/device_profiles/{uuid}", (string?)created["links"]![0]!["href"]);
        var groups = created["groups"]!.AsArray();
        Assert.Equal(("2", "chacha20-poly1305"), ((string?)groups[0]!["resources:CUSTOM_ACCELERATOR_FPGA"], (string?)groups[0]!["accel:function_id"]));
        Assert.Equal(("1", "sha256"), ((string?)groups[1]!["resources:FPGA"], (string?)groups[1]!["accel:function_id"]));

        var listed = (await Http.Get("/v2/device_profiles")).Expect(HttpStatusCode.OK).Body!["device_profiles"]!.AsArray();
        Assert.Contains(listed, p => (string?)p!["uuid"] == uuid);
        Assert.DoesNotContain(listed, p => ((string)p!["name"]!).Contains('.'));
        Assert.Equal(uuid, (string?)(await Http.Get($"/v2/device_profiles/{uuid}")).Expect(HttpStatusCode.OK).Body!["device_profile"]!["uuid"]);
        Assert.Equal(uuid, (string?)(await Http.Get("/v2/device_profiles/dp-crud", "accelerator 2.2")).Expect(HttpStatusCode.OK).Body!["device_profile"]!["uuid"]);
        Assert.Contains("2.2", (await Http.Get("/v2/device_profiles/dp-crud", "accelerator 2.1")).Expect(HttpStatusCode.NotAcceptable).Fault);

        (await Http.Delete($"/v2/device_profiles/{uuid}")).Expect(HttpStatusCode.NoContent);
        (await Http.Get($"/v2/device_profiles/{uuid}")).Expect(HttpStatusCode.NotFound);
        (await Http.Get("/v2/device_profiles/dp-crud", "accelerator latest")).Expect(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Profiles_are_deleted_by_names_and_a_missing_name_deletes_none()
    {
        await Http.CreateProfile("dp-del-a", "crc32c");
        await Http.CreateProfile("dp-del-b", "crc32c");

        Assert.Contains("dp-del-missing", (await Http.Delete("/v2/device_profiles/dp-del-a,dp-del-missing")).Expect(HttpStatusCode.NotFound).Fault);
        (await Http.Get("/v2/device_profiles/dp-del-a", "accelerator 2.2")).Expect(HttpStatusCode.OK);

        (await Http.Delete("/v2/device_profiles/dp-del-a,dp-del-b")).Expect(HttpStatusCode.NoContent);
        (await Http.Get("/v2/device_profiles/dp-del-a", "accelerator 2.2")).Expect(HttpStatusCode.NotFound);
        (await Http.Get("/v2/device_profiles/dp-del-b", "accelerator 2.2")).Expect(HttpStatusCode.NotFound);
        Assert.Contains("uuid", (await Http.Delete($"/v2/device_profiles/{Guid.NewGuid()}")).Expect(HttpStatusCode.NotFound).Fault);
    }

    [Fact]
    public async Task A_second_profile_of_the_same_name_is_a_conflict()
    {
        await Http.CreateProfile("dp-dup", "sha256");
        var again = await Http.Post("/v2/device_profiles", """[{"name": "dp-dup", "groups": [{"resources:FPGA": "1", "accel:function_id": "sha256"}]}]""");
        Assert.Equal("A device_profile with name dp-dup already exists.", again.Expect(HttpStatusCode.Conflict).Fault);
    }

    [Theory]
    [InlineData("{\"name\": \"x\"}", "must be a JSON list")]
    [InlineData("[]", "Only one device profile")]
    [InlineData("[{\"name\": \"a\", \"groups\": []}, {\"name\": \"b\", \"groups\": []}]", "Only one device profile")]
    [InlineData("[{\"groups\": [{\"resources:FPGA\": \"1\", \"accel:function_id\": \"sha256\"}]}]", "DeviceProfile name needed.")]
    [InlineData("[{\"name\": 7, \"groups\": []}]", "'name' must be a string, not a number")]
    [InlineData("[{\"name\": \"bad name!\", \"groups\": []}]", "must be of the form")]
    [InlineData("[{\"name\": \"dp-x\", \"colour\": \"red\", \"groups\": []}]", "unknown field 'colour'")]
    [InlineData("[{\"name\": \"dp-x\"}]", "DeviceProfile needs groups field.")]
    [InlineData("[{\"name\": \"dp-x\", \"groups\": []}]", "needs groups field")]
    [InlineData("[{\"name\": \"dp-x\", \"groups\": {\"a\": 1}}]", "'groups' must be a JSON list")]
    [InlineData("[{\"name\": \"dp-x\", \"groups\": [\"sha256\"]}]", "group 0 must be a JSON object")]
    [InlineData("[{\"name\": \"dp-x\", \"groups\": [{\"trait:CUSTOM_FPGA_1\": \"required\"}]}]", "at least one accelerator")]
    [InlineData("[{\"name\": \"dp-x\", \"groups\": [{\"accel:function_id\": \"sha256\"}]}]", "at least one accelerator")]
    [InlineData("[{\"name\": \"dp-x\", \"groups\": [{\"resources:FPGA\": \"two\", \"accel:function_id\": \"sha256\"}]}]", "Resources number \"two\" is invalid")]
    [InlineData("[{\"name\": \"dp-x\", \"groups\": [{\"resources:FPGA\": \"65\", \"accel:function_id\": \"sha256\"}]}]", "at most 64")]
    [InlineData("[{\"name\": \"dp-x\", \"groups\": [{\"resources:disk gb\": \"1\", \"accel:function_id\": \"sha256\"}]}]", "Unsupported resource class disk gb")]
    [InlineData("[{\"name\": \"dp-x\", \"groups\": [{\"resources:FPGA\": \"1\", \"accel:function_id\": \"md5\"}]}]", "unknown function 'md5'")]
    [InlineData("[{\"name\": \"dp-x\", \"groups\": [{\"resources:FPGA\": \"1\", \"accel:function_id\": 5}]}]", "must be a string, not a number")]
    [InlineData("[{\"name\": \"dp-x\", \"groups\": [{\"resources:FPGA\": \"1\", \"accel:function_id\": \"sha256\", \"trait:CUSTOM_FPGA-INTEL\": \"required\"}]}]", "Unsupported trait name format CUSTOM_FPGA-INTEL")]
    [InlineData("[{\"name\": \"dp-x\", \"groups\": [{\"resources:FPGA\": \"1\", \"trait:CUSTOM_FABRIC_SHA256\": \"maybe\"}]}]", "Unsupported trait value maybe")]
    [InlineData("[{\"name\": \"dp-x\", \"groups\": [{\"resources:FPGA\": \"1\", \"trait:HW_CPU_X86_AVX\": \"required\"}]}]", "should start with CUSTOM_")]
    [InlineData("[{\"name\": \"dp-x\", \"groups\": [{\"resources:FPGA\": \"1\", \"accel:function_id\": \"sha256\", \"trait:CUSTOM_FABRIC_DEFLATE\": \"required\"}]}]", "one function per group")]
    [InlineData("[{\"name\": \"dp-x\", \"groups\": [{\"resources:FPGA\": \"1\", \"accel:bitstream_id\": \"not-a-function\"}]}]", "must be the UUID of a Fabric function")]
    [InlineData("[{\"name\": \"dp-x\", \"groups\": [{\"resources:FPGA\": \"1\", \"accel:attach_handle_type\": \"SPI\"}]}]", "must be one of FABRIC_CHANNEL, PCI, VHOST_USER")]
    [InlineData("[{\"name\": \"dp-x\", \"groups\": [{\"memory:MB\": \"1\"}]}]", "group keys must be of the form")]
    [InlineData("[{\"name\": \"dp-x\", \"uuid\": \"5518a925-1c2c-49a2-a8bf-0927d9456f3e\", \"groups\": [{\"resources:FPGA\": \"1\", \"accel:function_id\": \"sha256\"}]}]", "derives a profile's uuid")]
    public async Task A_bad_profile_is_400_with_what_is_wrong_and_nothing_is_created(string body, string message)
    {
        Assert.Contains(message, (await Http.Post("/v2/device_profiles", body)).Expect(HttpStatusCode.BadRequest).Fault);
        (await Http.Get("/v2/device_profiles/dp-x", "accelerator 2.2")).Expect(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task An_unknown_profile_uuid_or_name_is_404()
    {
        Assert.Contains("not found", (await Http.Get($"/v2/device_profiles/{Guid.NewGuid()}")).Expect(HttpStatusCode.NotFound).Fault);
        (await Http.Get("/v2/device_profiles/no-such-profile", "accelerator 2.2")).Expect(HttpStatusCode.NotFound);
        (await Http.Get("/v2/device_profiles/has.dot", "accelerator 2.2")).Expect(HttpStatusCode.NotFound);
        Assert.Empty((await Http.Get("/v2/device_profiles?name=no-such-profile")).Expect(HttpStatusCode.OK).Body!["device_profiles"]!.AsArray());
    }

    [Fact]
    public async Task Any_placement_resource_class_counts_accelerators_as_Cyborg_takes_it()
    {
        var created = await Http.Post("/v2/device_profiles",
            """[{"name": "dp-classes", "groups": [{"resources:CUSTOM_ACCELERATOR_FPGA": "1", "resources:PGPU": "1", "accel:function_id": "sha256"}]}]""");
        Assert.Equal("2", (string?)created.Expect(HttpStatusCode.Created).Body!["groups"]![0]!["resources:CUSTOM_FABRIC_ACCELERATOR"]);
        (await Http.Delete("/v2/device_profiles/dp-classes")).Expect(HttpStatusCode.NoContent);
    }

    [Fact]
    public async Task Of_200_parallel_creates_of_one_name_exactly_one_wins_and_the_others_are_409()
    {
        const string body = """[{"name": "dp-race", "groups": [{"resources:FPGA": "1", "accel:function_id": "crc32c"}]}]""";
        var replies = await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => Task.Run(() => Http.Post("/v2/device_profiles", body))));
        Assert.Single(replies, r => r.Status == HttpStatusCode.Created);
        Assert.All(replies.Where(r => r.Status != HttpStatusCode.Created),
            r => Assert.Equal("A device_profile with name dp-race already exists.", r.Expect(HttpStatusCode.Conflict).Fault));
        (await Http.Delete("/v2/device_profiles/dp-race")).Expect(HttpStatusCode.NoContent);
    }
}
