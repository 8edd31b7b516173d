using Fabric.Control.Devices;
using Fabric.Control.Placement;
using Fabric.Control.Profiles;
using Fabric.Messages.Devices;
using Fabric.Messages.Errors;
using Fabric.Messages.Placement;
using Fabric.Messages.Profiles;
using Xunit;

namespace Fabric.Control.Tests.Placement;

/// <summary>Placement's traits and resource classes on the pure state: device traits, operator traits, matching, reasons.</summary>
public sealed class TraitPlacementTests
{
    private static readonly Random Seeded = new(7);

    private static CapacityIndex Index(params DeviceRegistered[] devices)
    {
        var index = new CapacityIndex();
        foreach (var d in devices)
        {
            index.Apply(d, 1);
        }

        return index;
    }

    private static DeviceRegistered Software(string id) =>
        new($"h/{id}", "h", "sw-crypto", ["aes-256-gcm", "sha256"], 4, "r");

    private static DeviceRegistered QatVfs(string id, int vfs) =>
        new($"h/{id}", "h", "intel-qat", ["aes-256-gcm", "sha256"], vfs, "r");

    private static DeviceHostTraitsChanged QatTraits(string id) =>
        new($"h/{id}", [DeviceTraits.OfAttach(DeviceTraits.PciAttach), DeviceTraits.OfVendor("8086"), DeviceTraits.OfModel("8086", "37c9")], "r");

    private static FindCandidates Query(params ProfileGroup[] groups) =>
        new(groups.Select(g => g.Function).Where(f => f.Length > 0).Distinct().ToArray(), groups.Sum(g => g.QueuePairs), null, [], groups);

    [Fact]
    public void A_device_has_its_function_type_host_and_attach_traits_and_its_kinds_resource_classes()
    {
        var sw = DeviceTraits.Effective("sw-crypto", ["sha256"], null, null);
        Assert.Equal(["CUSTOM_FABRIC_ATTACH_FABRIC_CHANNEL", "CUSTOM_FABRIC_SHA256", "CUSTOM_FABRIC_TYPE_SW_CRYPTO"], sw);

        var qat = DeviceTraits.Effective("intel-qat", ["sha256"], [DeviceTraits.OfAttach("PCI"), DeviceTraits.OfModel("8086", "37c9")], ["CUSTOM_RACK_7"]);
        Assert.Contains("CUSTOM_FABRIC_ATTACH_PCI", qat);
        Assert.DoesNotContain("CUSTOM_FABRIC_ATTACH_FABRIC_CHANNEL", qat);
        Assert.Contains("CUSTOM_FABRIC_MODEL_8086_37C9", qat);
        Assert.Contains("CUSTOM_RACK_7", qat);
        Assert.Equal(["CUSTOM_FABRIC_ACCELERATOR", "FPGA", "CUSTOM_ACCELERATOR_FPGA"], DeviceTraits.ResourceClassesOf("fpga"));
    }

    [Fact]
    public void Required_and_forbidden_traits_choose_the_device()
    {
        var index = Index(Software("a"), Software("b"));
        index.Apply(new DeviceTraitsChanged("h/a", ["CUSTOM_FPGA_1"], "t"), 2);

        Assert.Equal(["h/a"], index.Candidates(Query(new ConstrainedGroup("", 1, ["CUSTOM_FABRIC_ACCELERATOR"], ["CUSTOM_FPGA_1"], null, null)), Seeded));
        Assert.Equal(["h/b"], index.Candidates(Query(new ConstrainedGroup("sha256", 1, null, null, ["CUSTOM_FPGA_1"], null)), Seeded));
    }

    [Fact]
    public void A_profile_whose_traits_no_device_has_finds_none_and_says_which_trait()
    {
        var index = Index(Software("a"), Software("b"));

        var found = index.Find(Query(new ConstrainedGroup("", 1, ["FPGA"], ["CUSTOM_FPGA_1"], null, null)), Seeded);
        Assert.Empty(found.DeviceIds);
        Assert.Equal("resource class FPGA is not offered on 2 devices", found.NoneBecause);

        found = index.Find(Query(new ConstrainedGroup("", 1, ["CUSTOM_FABRIC_ACCELERATOR"], ["CUSTOM_FPGA_1"], null, null)), Seeded);
        Assert.Equal("required trait CUSTOM_FPGA_1 is missing on 2 devices", found.NoneBecause);

        found = index.Find(Query(new ConstrainedGroup("sha256", 1, null, null, ["CUSTOM_FABRIC_TYPE_SW_CRYPTO"], null)), Seeded);
        Assert.Equal("forbidden trait CUSTOM_FABRIC_TYPE_SW_CRYPTO is present on 2 devices", found.NoneBecause);
    }

    [Fact]
    public void A_function_group_counts_any_resource_class_as_before_traits_and_gets_a_channel_never_a_vf()
    {
        var index = Index(Software("sw"), QatVfs("qat", 4));
        index.Apply(QatTraits("qat"), 2);

        // Profiles made before traits named FPGA or PGPU with a Fabric function: they still bind to the software device.
        Assert.Equal(["h/sw"], index.Candidates(Query(new ConstrainedGroup("aes-256-gcm", 1, ["FPGA"], null, null, null)), Seeded));
        Assert.Equal(["h/qat"], index.Candidates(Query(new ConstrainedGroup("aes-256-gcm", 1, null, null, null, DeviceTraits.PciAttach)), Seeded));
        Assert.Equal(["h/qat"], index.Candidates(Query(new ConstrainedGroup("", 1, ["CUSTOM_QAT"], null, null, null)), Seeded));
    }

    [Fact]
    public void An_operator_trait_survives_a_new_registration_and_is_gone_once_removed()
    {
        var state = Apply(DeviceState.Empty("h/a"), Decide(DeviceState.Empty("h/a"), new RegisterDevice("h/a", "h", "sw-crypto", ["sha256"], 2, "r1")));
        state = Apply(state, state.Decide(new SetDeviceTraits("h/a", ["CUSTOM_FPGA_1", "CUSTOM_GOLD"], [], "t1")));
        Assert.Equal(["CUSTOM_FPGA_1", "CUSTOM_GOLD"], state.ToView().CustomTraits);

        state = Apply(state, state.Decide(new RegisterDevice("h/a", "h", "sw-crypto", ["sha256"], 3, "r2")));
        Assert.Contains("CUSTOM_FPGA_1", state.ToView().Traits!);

        state = Apply(state, state.Decide(new SetDeviceTraits("h/a", [], ["CUSTOM_FPGA_1"], "t2")));
        Assert.DoesNotContain("CUSTOM_FPGA_1", state.ToView().Traits!);
        Assert.Contains("CUSTOM_GOLD", state.ToView().Traits!);
        Assert.Empty(state.Decide(new SetDeviceTraits("h/a", [], ["CUSTOM_FPGA_1"], "t3")).Events);
    }

    [Theory]
    [InlineData("fpga_1", "is not a custom trait")]
    [InlineData("HW_CPU_X86_AVX", "is not a custom trait")]
    [InlineData("CUSTOM_", "is not a custom trait")]
    [InlineData("CUSTOM_FABRIC_SHA256", "Fabric's own")]
    public void An_operator_trait_that_is_no_custom_trait_is_refused(string trait, string message)
    {
        var state = Apply(DeviceState.Empty("h/a"), Decide(DeviceState.Empty("h/a"), new RegisterDevice("h/a", "h", "sw-crypto", ["sha256"], 2, "r1")));
        var decision = state.Decide(new SetDeviceTraits("h/a", [trait], [], "t"));
        Assert.Equal(RejectReason.InvalidArgument, decision.Rejection?.Reason);
        Assert.Contains(message, decision.Rejection!.Message);
    }

    [Fact]
    public void A_profile_group_without_a_function_is_taken_and_bad_trait_syntax_is_refused()
    {
        var empty = ProfileState.Empty("p");
        Assert.Null(empty.Decide(new CreateProfile("p", [new ConstrainedGroup("", 1, ["FPGA"], ["CUSTOM_FPGA_1"], null, null)], "r")).Rejection);
        Assert.Contains("not a trait name",
            empty.Decide(new CreateProfile("p", [new ConstrainedGroup("", 1, ["FPGA"], ["custom fpga"], null, null)], "r")).Rejection!.Message);
        Assert.Contains("both required and forbidden",
            empty.Decide(new CreateProfile("p", [new ConstrainedGroup("", 1, null, ["CUSTOM_A"], ["CUSTOM_A"], null)], "r")).Rejection!.Message);
        Assert.Contains("attach type",
            empty.Decide(new CreateProfile("p", [new ConstrainedGroup("sha256", 1, null, null, null, "VGA")], "r")).Rejection!.Message);
    }

    [Fact]
    public void A_pci_device_may_register_without_a_fabric_function()
    {
        var decision = DeviceState.Empty("h/f").Decide(new RegisterDeviceWithTraits("h/f", "h", "fpga", [], 2, "r", [DeviceTraits.OfAttach("PCI")]));
        Assert.Null(decision.Rejection);
        Assert.NotNull(DeviceState.Empty("h/g").Decide(new RegisterDevice("h/g", "h", "fpga", [], 2, "r")).Rejection);
    }

    private static Entities.Decision Decide(DeviceState state, RegisterDevice cmd) => state.Decide(cmd);

    private static DeviceState Apply(DeviceState state, Entities.Decision decision)
    {
        Assert.Null(decision.Rejection);
        return decision.Events.Aggregate(state, (s, e) => s.Apply(e));
    }
}
