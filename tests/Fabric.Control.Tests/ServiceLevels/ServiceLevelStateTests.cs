using System.Collections.Immutable;
using Fabric.Control.Attachments;
using Fabric.Control.Devices;
using Fabric.Control.Entities;
using Fabric.Control.Placement;
using Fabric.Control.Profiles;
using Fabric.Messages;
using Fabric.Messages.Attachments;
using Fabric.Messages.Devices;
using Fabric.Messages.Errors;
using Fabric.Messages.Placement;
using Fabric.Messages.Profiles;
using Xunit;

namespace Fabric.Control.Tests.ServiceLevels;

/// <summary>Service levels' pure parts (issue 19): the profile keys, what a device commits, what placement proposes.</summary>
public sealed class ServiceLevelStateTests
{
    private const string Id = "host-a/sw0";
    private static readonly RateCapacity Rates = new(1000, 1_000_000);

    private static readonly ServiceLevel Gold = new(4, 600, 800, 0, 0, ServiceClass.Latency);

    private static T Run<T>(T state, Decision decision, Func<T, IFabricEvent, T> apply)
    {
        Assert.Null(decision.Rejection);
        return decision.Events.Aggregate(state, apply);
    }

    private static DeviceState Device()
    {
        var state = DeviceState.Empty(Id);
        return Run(state, state.Decide(new RegisterDevice(Id, "host-a", "software", ["aes-256-gcm"], 8, "r")), (s, e) => s.Apply(e));
    }

    private static DeviceState Reserve(DeviceState state, string attachment, long ops, long bytes = 0) =>
        Run(state, state.Decide(new ReserveCommittedCapacity(Id, attachment, ["aes-256-gcm"], 1, "res-" + attachment, ops, bytes), Rates), (s, e) => s.Apply(e));

    [Fact]
    public void Profile_keys_make_a_level_from_best_effort()
    {
        var (level, problem) = ServiceLevelKeys.Parse(new Dictionary<string, string>
        {
            ["fabric:weight"] = "4", ["fabric:committed_ops"] = "600", ["fabric:peak_ops"] = "800", ["fabric:class"] = "Latency",
            ["resources:CUSTOM_FABRIC_ACCELERATOR"] = "1",
        });

        Assert.Null(problem);
        Assert.Equal(Gold, level);
        Assert.Equal((null, null), ServiceLevelKeys.Parse(new Dictionary<string, string> { ["trait:CUSTOM_X"] = "required" }));
    }

    [Theory]
    [InlineData("fabric:weight", "0", "fabric:weight '0' is not a whole number from 1 to 1000")]
    [InlineData("fabric:weight", "many", "fabric:weight 'many' is not a whole number")]
    [InlineData("fabric:peak_bytes", "-5", "fabric:peak_bytes '-5' is not a whole number from 0")]
    [InlineData("fabric:class", "gold", "fabric:class 'gold' is not latency or bulk")]
    [InlineData("fabric:priority", "1", "'fabric:priority' is not a Fabric key; Fabric's keys are fabric:weight")]
    [InlineData("fabric:committed_ops", "900", "peak 800 ops/s is below the committed 900 ops/s")]
    public void Bad_profile_keys_are_refused_with_the_key_and_what_it_must_be(string key, string value, string expected)
    {
        var (level, problem) = ServiceLevelKeys.Parse(new Dictionary<string, string> { ["fabric:peak_ops"] = "800", [key] = value });

        Assert.Null(level);
        Assert.Contains(expected, problem);
    }

    [Fact]
    public void A_device_commits_rates_up_to_its_capacity_and_refuses_to_oversell()
    {
        var state = Reserve(Device(), "a1", 600);

        var second = state.Decide(new ReserveCommittedCapacity(Id, "a2", ["aes-256-gcm"], 1, "res-a2", 500, 0), Rates);

        Assert.Equal(RejectReason.NoCapacity, second.Rejection?.Reason);
        Assert.Equal("device host-a/sw0: 600 of 1000 ops/s are committed to others, 500 more would oversell it", second.Rejection!.Message);
        Assert.Equal(600, state.CommittedOps);
        Assert.Equal(1, state.Reserved);

        // What is left can still be committed, and a holder's new rates count its old ones as free.
        state = Reserve(state, "a2", 400);
        Assert.Equal(1000, state.CommittedOps);
        Assert.Null(state.Decide(new CommitRates(Id, "a1", 600, 0, "c1"), Rates).Rejection);
        Assert.Equal(RejectReason.NoCapacity, state.Decide(new CommitRates(Id, "a1", 601, 0, "c2"), Rates).Rejection?.Reason);
        state = Run(state, state.Decide(new CommitRates(Id, "a1", 100, 0, "c3"), Rates), (s, e) => s.Apply(e));
        Assert.Equal(500, state.CommittedOps);
    }

    [Fact]
    public void Bytes_are_admitted_like_ops()
    {
        var state = Reserve(Device(), "a1", 0, 900_000);

        var refused = state.Decide(new ReserveCommittedCapacity(Id, "a2", ["aes-256-gcm"], 1, "res-a2", 0, 200_000), Rates);

        Assert.Equal(RejectReason.NoCapacity, refused.Rejection?.Reason);
        Assert.Contains("900000 of 1000000 bytes/s", refused.Rejection!.Message);
    }

    [Fact]
    public void A_release_gives_the_rates_back_and_traits_keep_them()
    {
        var state = Reserve(Device(), "a1", 600);
        state = Run(state, state.Decide(new SetDeviceTraits(Id, ["CUSTOM_GOLD"], [], "t")), (s, e) => s.Apply(e));
        Assert.Equal(600, state.CommittedOps);
        Assert.Contains("CUSTOM_GOLD", state.CustomTraits!);

        var view = state.ToView(Rates);
        Assert.Equal((1000L, 600L), (view.CapacityOps, view.CommittedOps));
        Assert.Equal(600, view.HeldOps!["a1"]);

        state = Run(state, state.Decide(new ReleaseCapacity(Id, "a1", "rel")), (s, e) => s.Apply(e));
        Assert.Equal(0, state.CommittedOps);
        Assert.Contains("CUSTOM_GOLD", state.CustomTraits!);
    }

    [Fact]
    public void Rates_are_committed_only_to_a_holder()
    {
        var decision = Device().Decide(new CommitRates(Id, "stranger", 10, 0, "c"), Rates);

        Assert.Equal(RejectReason.IllegalState, decision.Rejection?.Reason);
    }

    [Fact]
    public void Device_rates_come_by_type_then_by_the_smallest_function_then_the_default()
    {
        var rates = new DeviceRates(new RateCapacity(10, 20),
            ImmutableDictionary<string, RateCapacity>.Empty.Add("qat", new RateCapacity(1, 2)),
            ImmutableDictionary<string, RateCapacity>.Empty.Add("deflate", new RateCapacity(5, 50)).Add("brotli", new RateCapacity(3, 60)));

        Assert.Equal(new RateCapacity(1, 2), rates.For("qat", ["deflate"]));
        Assert.Equal(new RateCapacity(3, 50), rates.For("software", ["deflate", "brotli"]));
        Assert.Equal(new RateCapacity(10, 20), rates.For("software", ["sha256"]));
    }

    [Fact]
    public void The_configured_device_rates_are_read_and_a_bad_one_stops_the_start()
    {
        var config = Akka.Configuration.ConfigurationFactory.ParseString("""
            fabric.service-levels.device-rates {
              default { ops-per-second = 7, bytes-per-second = 8 }
              by-type { sw-crypto { ops-per-second = 1, bytes-per-second = 2 } }
            }
            """);
        var rates = DeviceRates.From(config);
        Assert.Equal(new RateCapacity(1, 2), rates.For("sw-crypto", ["sha256"]));
        Assert.Equal(new RateCapacity(7, 8), rates.For("fpga", ["sha256"]));
        Assert.Equal(DeviceRates.Defaults, DeviceRates.From(Akka.Configuration.Config.Empty));

        var bad = Akka.Configuration.ConfigurationFactory.ParseString("fabric.service-levels.device-rates.default { ops-per-second = 0, bytes-per-second = 8 }");
        var error = Assert.Throws<Fabric.Control.Configuration.FabricConfigurationException>(() => DeviceRates.From(bad));
        Assert.Contains("ops-per-second and bytes-per-second must be positive", error.Message);
    }

    [Fact]
    public void A_profile_journals_its_level_and_refuses_a_bad_one()
    {
        var state = ProfileState.Empty("gold");
        var decision = state.Decide(new CreateProfile("gold", [new ProfileGroup("aes-256-gcm", 1)], "r", null, Gold));
        state = Run(state, decision, (s, e) => s.Apply(e));

        Assert.IsType<ProfileServiceLevelSet>(decision.Events[^1]);
        Assert.Equal(Gold, state.ToView().Level);

        var bad = ProfileState.Empty("bad").Decide(new CreateProfile("bad", [new ProfileGroup("aes-256-gcm", 1)], "r", null, Gold with { Weight = 0 }));
        Assert.Equal(RejectReason.InvalidArgument, bad.Rejection?.Reason);
        Assert.Equal("profile bad: service level: weight 0 is not from 1 to 1000", bad.Rejection!.Message);
    }

    [Fact]
    public void An_attachment_copies_its_profiles_level_reserves_its_rates_and_takes_a_new_one()
    {
        var profile = new ProfileView("gold", [new ProfileGroup("aes-256-gcm", 1)], true, null, Gold);
        var state = AttachmentState.Empty("a1");
        state = Run(state, state.Decide(new CreateAttachment("a1", "vm-1", "gold", "r"), profile), (s, e) => s.Apply(e));
        Assert.Equal(Gold, state.ToView().Level);

        var reservation = Assert.IsType<ReserveCommittedCapacity>(state.Reservation(Id, "res"));
        Assert.Equal((600L, 0L), (reservation.CommittedOps, reservation.CommittedBytes));
        Assert.Null(state.HeldDevice);

        Assert.Empty(state.Decide(new SetAttachmentServiceLevel("a1", Gold, "same")).Events);
        Assert.Equal(RejectReason.InvalidArgument, state.Decide(new SetAttachmentServiceLevel("a1", Gold with { PeakOpsPerSecond = 10 }, "x")).Rejection?.Reason);
        state = Run(state, state.Decide(new SetAttachmentServiceLevel("a1", ServiceLevel.BestEffort, "be")), (s, e) => s.Apply(e));
        Assert.Equal(ServiceLevel.BestEffort, state.Level);
        Assert.IsNotType<ReserveCommittedCapacity>(state.Reservation(Id, "res2"));
    }

    [Fact]
    public void Placement_proposes_only_devices_that_can_still_commit_the_rates()
    {
        var index = new CapacityIndex(new DeviceRates(new RateCapacity(1000, 1_000_000), ImmutableDictionary<string, RateCapacity>.Empty, ImmutableDictionary<string, RateCapacity>.Empty));
        index.Apply(new DeviceRegistered("h/a", "h", "software", ["aes-256-gcm"], 8, "r"), 1);
        index.Apply(new DeviceRegistered("h/b", "h", "software", ["aes-256-gcm"], 8, "r"), 1);
        index.Apply(new DeviceRatesCommitted("h/a", "x", 700, 0, "c"), 2);
        index.Apply(new DeviceCapacityReserved("h/a", "x", 1, "c"), 3);
        var query = new FindCandidates(["aes-256-gcm"], 1, "h", [], null, 500, 0);

        Assert.Equal(["h/b"], index.Candidates(query, new Random(1)));
        Assert.Equal(700, index.Devices.Single(d => d.DeviceId == "h/a").CommittedOps);
        Assert.Equal(1000, index.Devices.Single(d => d.DeviceId == "h/a").CapacityOps);

        index.Apply(new DeviceCapacityReleased("h/a", "x", 1, "rel"), 4);
        Assert.Equal(2, index.Candidates(query, new Random(1)).Count);

        // A device's own view replaces what the index read.
        var state = Reserve(Reserve(Device(), "y", 900), "z", 50);
        index.Observe(state.ToView(Rates) with { Revision = 10 });
        Assert.Equal(950, index.Devices.Single(d => d.DeviceId == Id).CommittedOps);
        Assert.DoesNotContain(Id, index.Candidates(new FindCandidates(["aes-256-gcm"], 1, "host-a", [], null, 100, 0), new Random(1)));
    }
}
