using Fabric.Control.Devices;
using Fabric.Messages.Devices;
using Fabric.Messages.Errors;
using Fabric.Messages.Functions;
using Xunit;

namespace Fabric.Control.Tests.Devices;

public class DeviceStateTests
{
    private const string Id = "host-a/qat0";

    private static DeviceState Registered(int capacity = 4)
    {
        var state = DeviceState.Empty(Id);
        var decision = state.Decide(new RegisterDevice(Id, "host-a", "qat", [AccelerationFunctions.Aes256Gcm, AccelerationFunctions.Sha256], capacity, "r1"));
        return decision.Events.Aggregate(state, (s, e) => s.Apply(e));
    }

    private static DeviceState Run(DeviceState state, object command)
    {
        var decision = command switch
        {
            ReserveCapacity c => state.Decide(c),
            ReleaseCapacity c => state.Decide(c),
            SetDeviceHealth c => state.Decide(c),
            RegisterDevice c => state.Decide(c),
            _ => throw new ArgumentException(command.GetType().Name),
        };
        Assert.Null(decision.Rejection);
        return decision.Events.Aggregate(state, (s, e) => s.Apply(e));
    }

    [Theory]
    [InlineData("host-a/qat0", "", "qat", 4, RejectReason.InvalidArgument)]
    [InlineData("host-a/qat0", "host-a", "qat", 0, RejectReason.InvalidArgument)]
    [InlineData("host-a/qat0", "host-a", "qat", -3, RejectReason.InvalidArgument)]
    [InlineData("host-b/qat0", "host-a", "qat", 4, RejectReason.InvalidArgument)]
    [InlineData("host-a/", "host-a", "qat", 4, RejectReason.InvalidArgument)]
    public void Registration_with_bad_fields_is_refused_and_writes_nothing(string id, string node, string type, int capacity, RejectReason reason)
    {
        var decision = DeviceState.Empty(id).Decide(new RegisterDevice(id, node, type, [AccelerationFunctions.Sha256], capacity, "r"));

        Assert.Equal(reason, decision.Rejection?.Reason);
        Assert.Empty(decision.Events);
    }

    [Fact]
    public void Registration_with_an_unknown_function_names_it()
    {
        var decision = DeviceState.Empty(Id).Decide(new RegisterDevice(Id, "host-a", "qat", ["rot13"], 4, "r"));

        Assert.Equal(RejectReason.UnknownFunction, decision.Rejection?.Reason);
        Assert.Contains("rot13", decision.Rejection!.Message);
    }

    [Fact]
    public void Registering_the_same_device_again_changes_nothing()
    {
        var state = Registered();

        var again = state.Decide(new RegisterDevice(Id, "host-a", "qat", [AccelerationFunctions.Sha256, AccelerationFunctions.Aes256Gcm], 4, "r2"));

        Assert.Null(again.Rejection);
        Assert.Empty(again.Events);
    }

    [Fact]
    public void Reservations_never_exceed_capacity()
    {
        var state = Registered(capacity: 2);
        state = Run(state, new ReserveCapacity(Id, "att-1", [AccelerationFunctions.Aes256Gcm], 1, "a"));
        state = Run(state, new ReserveCapacity(Id, "att-2", [AccelerationFunctions.Aes256Gcm], 1, "b"));

        var third = state.Decide(new ReserveCapacity(Id, "att-3", [AccelerationFunctions.Aes256Gcm], 1, "c"));

        Assert.Equal(RejectReason.NoCapacity, third.Rejection?.Reason);
        Assert.Equal(2, state.Reserved);
        Assert.Equal(0, state.Free);
    }

    [Fact]
    public void Reserving_again_for_the_same_attachment_is_idempotent()
    {
        var state = Run(Registered(), new ReserveCapacity(Id, "att-1", [], 2, "a"));

        var again = state.Decide(new ReserveCapacity(Id, "att-1", [], 2, "a-retry"));

        Assert.Null(again.Rejection);
        Assert.Empty(again.Events);
        Assert.Equal(2, state.Reserved);
    }

    [Fact]
    public void Release_gives_back_what_the_attachment_held_and_releasing_nothing_is_not_an_error()
    {
        var state = Run(Registered(), new ReserveCapacity(Id, "att-1", [], 3, "a"));
        state = Run(state, new ReleaseCapacity(Id, "att-1", "b"));

        Assert.Equal(0, state.Reserved);
        var again = state.Decide(new ReleaseCapacity(Id, "att-1", "c"));
        Assert.Null(again.Rejection);
        Assert.Empty(again.Events);
    }

    [Fact]
    public void A_device_that_lacks_a_function_refuses_the_reservation()
    {
        var decision = Registered().Decide(new ReserveCapacity(Id, "att-1", [AccelerationFunctions.Deflate], 1, "a"));

        Assert.Equal(RejectReason.FunctionNotSupported, decision.Rejection?.Reason);
    }

    [Theory]
    [InlineData(DeviceHealth.Failed)]
    [InlineData(DeviceHealth.Lost)]
    public void A_failed_or_lost_device_takes_no_reservation(DeviceHealth health)
    {
        var state = Run(Registered(), new SetDeviceHealth(Id, health, "probe failed", "h"));

        var decision = state.Decide(new ReserveCapacity(Id, "att-1", [], 1, "a"));

        Assert.Equal(RejectReason.DeviceUnavailable, decision.Rejection?.Reason);
    }

    [Fact]
    public void Capacity_cannot_drop_below_what_is_held()
    {
        var state = Run(Registered(capacity: 4), new ReserveCapacity(Id, "att-1", [], 3, "a"));

        var shrink = state.Decide(new RegisterDevice(Id, "host-a", "qat", [AccelerationFunctions.Aes256Gcm, AccelerationFunctions.Sha256], 2, "r"));

        Assert.Equal(RejectReason.IllegalState, shrink.Rejection?.Reason);
    }

    [Fact]
    public void A_lost_device_registered_again_by_its_node_is_healthy()
    {
        var state = Run(Registered(), new SetDeviceHealth(Id, DeviceHealth.Lost, "node left", "h"));

        state = Run(state, new RegisterDevice(Id, "host-a", "qat", [AccelerationFunctions.Aes256Gcm, AccelerationFunctions.Sha256], 4, "r2"));

        Assert.Equal(DeviceHealth.Healthy, state.Health);
    }

    [Fact]
    public void Commands_to_an_unregistered_device_are_refused_as_not_found()
    {
        var state = DeviceState.Empty(Id);

        Assert.Equal(RejectReason.NotFound, state.Decide(new ReserveCapacity(Id, "a", [], 1, "x")).Rejection?.Reason);
        Assert.Equal(RejectReason.NotFound, state.Decide(new SetDeviceHealth(Id, DeviceHealth.Failed, "", "x")).Rejection?.Reason);
    }
}
