using System.Net;
using System.Text.Json.Nodes;
using Akka.Actor;
using Fabric.Messages.Attachments;
using Fabric.Messages.Devices;
using Xunit;

namespace Fabric.Api.Tests;

/// <summary>
/// Cyborg's own device profiles (its api-ref samples: <c>resources:FPGA</c> with <c>trait:CUSTOM_FPGA_1</c>, and
/// <c>resources:CUSTOM_ACCELERATOR_FPGA</c>), required and forbidden traits, through the real openstack CLI: accepted as Cyborg
/// accepts them, shown as given, and matched at placement; a profile no device matches binds to BindFailed with the reason.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class TraitProfileTests(ApiFabric fabric) : IAsyncLifetime
{
    /// <summary>The requests these tests made: deleted after each test, so that the fixture's devices are free for the next class.</summary>
    private readonly List<string> _requests = [];

    private string Endpoint => fabric.ServerUrl + "/v2";

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        using var http = new HttpClient { BaseAddress = new Uri(fabric.ServerUrl) };
        foreach (var uuid in _requests)
        {
            using var deleted = await http.DeleteAsync($"/v2/accelerator_requests/{uuid}");
            Assert.True(deleted.StatusCode is HttpStatusCode.NoContent or HttpStatusCode.NotFound, $"deleting {uuid}: {deleted.StatusCode}");
        }
    }

    private ClientRun Cli(params string[] args) => OpenStackClients.Openstack(Endpoint, args);

    private async Task<JsonNode> BindAndWait(string profile)
    {
        using var http = new HttpClient { BaseAddress = new Uri(fabric.ServerUrl) };
        var uuid = (string)Cli("accelerator", "arq", "create", profile, "-f", "json").Json["uuid"]!;
        _requests.Add(uuid);
        Cli("accelerator", "arq", "bind", uuid, ApiFabric.Host, Guid.NewGuid().ToString(), await http.RpOf(ApiFabric.CryptoDevice), "project-1", "-f", "json").Succeeded();
        JsonNode? shown = null;
        await Eventually.Until(() =>
        {
            shown = Cli("accelerator", "arq", "show", uuid, "-f", "json").Json;
            return Task.FromResult((string?)shown["state"] is "Bound" or "BindFailed");
        }, $"accelerator request {uuid} of {profile} to be bound or failed", within: TimeSpan.FromSeconds(60));
        return shown!;
    }

    /// <summary>Why the bind of an ARQ failed, from its attachment in the fabric (the ARQ is a chain of attachments, Arq.cs).</summary>
    private async Task<string> FailureOf(string uuid)
    {
        foreach (var id in new[] { uuid, uuid + ".1", uuid + ".2" })
        {
            if (await fabric.Node.Control.Attachments.Ask<object>(new GetAttachment(id), TimeSpan.FromSeconds(20)) is AttachmentView { Status: AttachmentStatus.BindFailed } view)
            {
                return view.FailureMessage ?? "";
            }
        }

        return "no failed attachment";
    }

    private async Task<DeviceView> SetTraits(string device, string[] add, string[] remove) =>
        (DeviceView)await fabric.Node.Control.Devices.Ask<object>(new SetDeviceTraits(device, add, remove, Guid.NewGuid().ToString("N")), TimeSpan.FromSeconds(20));

    [SkippableFact]
    public async Task Cyborgs_sample_profiles_are_created_and_bind_only_where_a_device_has_their_traits()
    {
        OpenStackClients.SkipUnlessInstalled();
        var fpga = Cli("accelerator", "device", "profile", "create", "fpga-profile",
            """[{"resources:FPGA": "1", "trait:CUSTOM_FPGA_1": "required"}]""", "-f", "json").Json;
        Assert.Equal("required", (string?)fpga["groups"]![0]!["trait:CUSTOM_FPGA_1"]);
        Assert.Equal("1", (string?)fpga["groups"]![0]!["resources:FPGA"]);
        var classed = Cli("accelerator", "device", "profile", "create", "fpga-class-profile",
            """[{"resources:CUSTOM_ACCELERATOR_FPGA": "1", "trait:CUSTOM_FPGA_INTEL_PAC_ARRIA10": "required", "accel:bitstream_name": "crypto"}]""", "-f", "json").Json;
        Assert.Equal("1", (string?)classed["groups"]![0]!["resources:CUSTOM_ACCELERATOR_FPGA"]);
        var shown = Cli("accelerator", "device", "profile", "show", (string)fpga["uuid"]!, "-f", "json").Json;
        Assert.Contains("CUSTOM_FPGA_1", shown["groups"]!.ToJsonString());

        // No Fabric device offers the FPGA class: the bind fails, as a Placement allocation would, with the reason.
        var failed = await BindAndWait("fpga-profile");
        Assert.Equal("BindFailed", (string?)failed["state"]);
        Assert.Contains("resource class FPGA is not offered", await FailureOf((string)failed["uuid"]!));

        Assert.Equal("BindFailed", (string?)(await BindAndWait("fpga-class-profile"))["state"]);

        // The operator gives the compression device the trait: a profile of the generic class and the trait binds there.
        Cli("accelerator", "device", "profile", "create", "gold-profile",
            """[{"resources:CUSTOM_FABRIC_ACCELERATOR": "1", "trait:CUSTOM_FPGA_1": "required"}]""").Succeeded();
        Assert.Equal("BindFailed", (string?)(await BindAndWait("gold-profile"))["state"]);
        var device = await SetTraits(ApiFabric.CompressionDevice, ["CUSTOM_FPGA_1"], []);
        try
        {
            Assert.Contains("CUSTOM_FPGA_1", device.Traits!);
            var bound = await BindAndWait("gold-profile");
            Assert.Equal(("Bound", "FABRIC_CHANNEL"), ((string?)bound["state"], (string?)bound["attach_handle_type"]));
            using var http = new HttpClient { BaseAddress = new Uri(fabric.ServerUrl) };
            Assert.Equal(await http.RpOf(ApiFabric.CompressionDevice), (string?)bound["device_rp_uuid"]);

            // Cyborg shows a deployable's traits in its attributes; Fabric's device shows them in std_board_info.
            var deployable = Cli("accelerator", "deployable", "list", "-f", "json").Json.AsArray()
                .Single(d => (string?)d!["name"] == ApiFabric.CompressionDevice)!;
            Assert.Contains("CUSTOM_FPGA_1", (await http.Get($"/v2/deployables/{(string)deployable["uuid"]!}")).Body!["attributes_list"]!.ToString());
        }
        finally
        {
            await SetTraits(ApiFabric.CompressionDevice, [], ["CUSTOM_FPGA_1"]);
        }
    }

    [SkippableFact]
    public async Task A_forbidden_trait_keeps_the_request_off_the_devices_that_have_it()
    {
        OpenStackClients.SkipUnlessInstalled();
        // CRC32C runs on both software devices; forbidding the crypto type leaves the compression device.
        var created = Cli("accelerator", "device", "profile", "create", "no-crypto-profile",
            """[{"resources:CUSTOM_FABRIC_ACCELERATOR": "1", "accel:function_id": "crc32c", "trait:CUSTOM_FABRIC_TYPE_SW_CRYPTO": "forbidden"}]""", "-f", "json").Json;
        Assert.Equal("forbidden", (string?)created["groups"]![0]!["trait:CUSTOM_FABRIC_TYPE_SW_CRYPTO"]);

        using var http = new HttpClient { BaseAddress = new Uri(fabric.ServerUrl) };
        var rp = await http.RpOf(ApiFabric.CompressionDevice);
        for (var i = 0; i < 3; i++)
        {
            var bound = await BindAndWait("no-crypto-profile");
            Assert.Equal(("Bound", rp), ((string?)bound["state"], (string?)bound["device_rp_uuid"]));
        }
    }

    [Theory]
    [InlineData("{\"resources:FPGA\": \"1\", \"trait:CUSTOM_fpga\": \"required\"}", "Unsupported trait name format CUSTOM_fpga")]
    [InlineData("{\"resources:FPGA\": \"1\", \"trait:CUSTOM_A\": \"required\", \"trait: CUSTOM_A\": \"forbidden\"}", "both required and forbidden")]
    [InlineData("{\"resources:FPGA\": \"1\", \"accel:attach_handle_type\": \"VGA\"}", "accel:attach_handle_type must be one of")]
    public async Task Bad_trait_syntax_is_400(string group, string message)
    {
        var reply = await fabric.Http.Post("/v2/device_profiles", $$"""[{"name": "dp-bad-trait", "groups": [{{group}}]}]""");
        Assert.Contains(message, reply.Expect(HttpStatusCode.BadRequest).Fault);
    }
}
