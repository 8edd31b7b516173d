using System.Collections.Immutable;
using Akka.Actor;
using Akka.Configuration;
using Fabric.Control.Attachments;
using Fabric.Control.Configuration;
using Fabric.Control.Devices;
using Fabric.Control.Entities;
using Fabric.Messages;
using Fabric.Messages.Attachments;
using Fabric.Messages.Devices;
using Fabric.Messages.Errors;
using Fabric.Messages.Profiles;
using Fabric.Messages.Serialization;
using Xunit;

namespace Fabric.Control.Tests.Serialization;

public sealed class SerializationTests : IDisposable
{
    private readonly ActorSystem _system = ActorSystem.Create("serialization",
        ConfigurationFactory.ParseString(File.ReadAllText(Path.Combine(FabricConfig.HoconDirectory, "serialization.conf"))));

    public void Dispose() => _system.Terminate().Wait(TimeSpan.FromSeconds(10));

    private T RoundTrip<T>(T value)
        where T : notnull
    {
        var serializer = _system.Serialization.FindSerializerFor(value);
        Assert.Equal("HyperionSerializer", serializer.GetType().Name);
        var bytes = serializer.ToBinary(value);
        return (T)serializer.FromBinary(bytes, typeof(T));
    }

    [Fact]
    public void Every_message_type_is_a_known_type_so_its_manifest_stays_short()
    {
        var messageTypes = typeof(IFabricMessage).Assembly.GetTypes()
            .Where(t => t is { IsClass: true, IsAbstract: false, IsPublic: true } && typeof(IFabricMessage).IsAssignableFrom(t));

        var missing = messageTypes.Except(FabricKnownTypes.All).Select(t => t.Name).ToArray();

        Assert.Empty(missing);
        Assert.Equal(FabricKnownTypes.All.Count, FabricKnownTypes.All.Distinct().Count());
    }

    [Fact]
    public void Commands_events_and_replies_survive_a_round_trip()
    {
        var register = new RegisterDevice("h/d", "h", "qat", ["aes-256-gcm", "sha256"], 8, "r");
        var created = new AttachmentCreated("a", "vm", "p", [new ProfileGroup("sha256", 2)], "r");
        var view = new AttachmentView("a", "vm", "p", AttachmentStatus.Attached, [new ProfileGroup("sha256", 1)], "h/d", "h", ["sha256"],
            new AttachHandle("h", "/dev/shm/fabric/a", 1, 64, 64, 16, 4096), RejectReason.NoCapacity, "x");
        var rejected = new Rejected(RejectReason.IllegalState, "attached");

        Assert.Equal(register.Functions, RoundTrip(register).Functions);
        Assert.Equal(created.Groups, RoundTrip(created).Groups);
        var back = RoundTrip(view);
        Assert.Equal(view.Handle, back.Handle);
        Assert.Equal(view.Status, back.Status);
        Assert.Equal(view.Groups, back.Groups);
        Assert.Equal(rejected, RoundTrip(rejected));
    }

    [Fact]
    public void Entity_snapshots_with_immutable_collections_survive_a_round_trip()
    {
        var device = DeviceState.Empty("h/d") with
        {
            Registered = true,
            Functions = ImmutableSortedSet.Create("sha256", "deflate"),
            Capacity = 4,
            Holders = ImmutableDictionary<string, int>.Empty.Add("a1", 1).Add("a2", 2),
            Requests = RequestLog.Empty.Record("r1", new Rejected(RejectReason.NoCapacity, "x")),
        };
        var attachment = AttachmentState.Empty("a") with
        {
            Exists = true,
            Groups = [new ProfileGroup("sha256", 1)],
            ReleasePending = ImmutableList.Create("h/old"),
            Status = AttachmentStatus.Bound,
        };

        var deviceBack = RoundTrip(device);
        var attachmentBack = RoundTrip(attachment);

        Assert.Equal(device.Holders, deviceBack.Holders);
        Assert.Equal(device.Functions, deviceBack.Functions);
        Assert.True(deviceBack.Requests.TryGet("r1", out var reply));
        Assert.Equal(new Rejected(RejectReason.NoCapacity, "x"), reply);
        Assert.Equal(attachment.ReleasePending, attachmentBack.ReleasePending);
        Assert.Equal(attachment.Groups.ToArray(), attachmentBack.Groups.ToArray());
    }
}
