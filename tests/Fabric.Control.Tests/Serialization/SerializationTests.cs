using System.Collections;
using System.Collections.Immutable;
using System.Runtime.Serialization;
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
        Assert.Equal("FabricHyperionSerializer", serializer.GetType().Name);
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

    /// <summary>Every message Fabric has (snapshots of the entities too), filled in, through the configured serializer.</summary>
    [Fact]
    public void Every_message_type_round_trips_through_the_configured_serializer_with_its_allow_list()
    {
        var types = new[] { typeof(IFabricMessage).Assembly, typeof(DeviceState).Assembly }
            .SelectMany(a => a.GetTypes())
            .Where(t => t is { IsClass: true, IsAbstract: false, IsPublic: true } && typeof(IFabricMessage).IsAssignableFrom(t))
            .ToArray();
        var failed = new List<string>();

        foreach (var type in types)
        {
            try
            {
                var message = Sample(type, 0)!;
                var serializer = _system.Serialization.FindSerializerFor(message);
                Assert.Equal("FabricHyperionSerializer", serializer.GetType().Name);
                var bytes = serializer.ToBinary(message);

                var back = serializer.FromBinary(bytes, type);

                Assert.IsType(type, back);
                Assert.Equal(bytes, serializer.ToBinary(back));
            }
            catch (Exception ex)
            {
                failed.Add($"{type.Name}: {ex.GetBaseException().Message}");
            }
        }

        Assert.True(types.Length > 100, $"found {types.Length} message types");
        Assert.Empty(failed);
    }

    [Fact]
    public void A_foreign_type_on_the_wire_is_refused()
    {
        var refused = Assert.Throws<SerializationException>(() => FromWire(new Uri("http://example.com/")));

        Assert.Contains("System.Uri", refused.ToString());
    }

    [Fact]
    public void A_gadget_type_is_refused()
    {
        // ProcessStartInfo: half of the classic "start a process" gadget chains; written by a sender with no checks at all.
        var gadget = new System.Diagnostics.ProcessStartInfo("sh", "-c id");

        var refused = Assert.Throws<SerializationException>(() => FromWire(gadget));

        Assert.Contains("System.Diagnostics.ProcessStartInfo", refused.ToString());
    }

    [Fact]
    public void An_object_typed_dictionary_is_refused_whatever_it_holds()
    {
        Assert.Throws<SerializationException>(() => FromWire(new Dictionary<string, object> { ["a"] = "harmless" }));
        Assert.Throws<SerializationException>(() => FromWire(new Dictionary<string, object> { ["a"] = new Uri("http://example.com/") }));
    }

    [Fact]
    public void A_fabric_message_carrying_a_foreign_type_in_an_object_slot_is_refused()
    {
        // A request log keeps replies as object: the reply inside is checked by its own type.
        var state = ProfileStateWithReply(new Uri("http://example.com/"));

        Assert.Throws<SerializationException>(() => FromWire(state));
    }

    [Fact]
    public void A_profile_with_a_constrained_group_crosses_the_wire_by_hyperion_and_by_json()
    {
        var create = new CreateProfile("fpga", [new ConstrainedGroup("", 1, ["FPGA"], ["CUSTOM_FPGA_1"], null, null)], "r1");

        var back = RoundTrip(create);

        var group = Assert.IsType<ConstrainedGroup>(Assert.Single(back.Groups));
        Assert.Equal(["CUSTOM_FPGA_1"], group.RequiredTraits);
        // A field declared as the base type holds the derived one: both readers take it (the cluster client's
        // envelope goes through JSON).
        Assert.True(FabricTypeFilter.Instance.IsAllowed(typeof(ConstrainedGroup).AssemblyQualifiedName!));
    }

    [Fact]
    public void A_cluster_clients_request_envelope_is_not_json()
    {
        // fabric-vim, fabric-cmd and fabric-api send through a cluster client, which wraps each request in pub-sub's Send.
        var send = new Akka.Cluster.Tools.PublishSubscribe.Send("/user/vim-gateway", new GetProfile("p"));

        var serializer = _system.Serialization.FindSerializerFor(send);

        Assert.Equal("DistributedPubSubMessageSerializer", serializer.GetType().Name);
        var back = Assert.IsType<Akka.Cluster.Tools.PublishSubscribe.Send>(((Akka.Serialization.SerializerWithStringManifest)serializer)
            .FromBinary(serializer.ToBinary(send), Akka.Serialization.Serialization.ManifestFor(serializer, send)));
        Assert.Equal(new GetProfile("p"), back.Message);
    }

    [Fact]
    public void Json_reads_no_type_that_is_not_fabrics_or_akkas_at_any_depth()
    {
        // Akka binds every other object to JSON with type names: bytes under its identifier name the types to create.
        var json = _system.Serialization.FindSerializerForType(typeof(Uri));
        Assert.Equal("FabricJsonSerializer", json.GetType().Name);
        Assert.Equal(new Akka.Serialization.NewtonSoftJsonSerializer((ExtendedActorSystem)_system).Identifier, json.Identifier);

        // Half of the classic "start a process" gadget chains, as a sender with no checks writes it.
        var process = """{"$type":"System.Diagnostics.ProcessStartInfo, System.Diagnostics.Process","FileName":"sh","Arguments":"-c id"}"""u8.ToArray();
        var foreign = Assert.Throws<SerializationException>(() => json.FromBinary(process, typeof(object)));
        Assert.Contains("System.Diagnostics.ProcessStartInfo", foreign.Message);
        var nested = """{"$type":"Fabric.Messages.Errors.Rejected, Fabric.Messages","Reason":1,"Message":{"$type":"System.Diagnostics.ProcessStartInfo, System.Diagnostics.Process","FileName":"sh"}}"""u8.ToArray();
        Assert.Contains("System.Diagnostics.ProcessStartInfo", Assert.Throws<SerializationException>(() => json.FromBinary(nested, typeof(object))).Message);
        // A property name Json.NET decodes to "$type" is checked as such.
        var escaped = System.Text.Encoding.UTF8.GetBytes("""{"\u0024type":"System.Uri, System.Private.Uri","OriginalString":"http://example.com/"}""");
        Assert.Throws<SerializationException>(() => json.FromBinary(escaped, typeof(object)));
        Assert.Throws<SerializationException>(() => json.FromBinary("{\"$type\":"u8.ToArray(), typeof(object)));
    }

    [Fact]
    public void Json_still_reads_fabric_messages_and_akkas_own_types()
    {
        var json = _system.Serialization.FindSerializerForType(typeof(Uri));
        var rejected = new Rejected(RejectReason.NotFound, "no such device");

        Assert.Equal(rejected, json.FromBinary(json.ToBinary(rejected), typeof(object)));
        var identify = new Identify("probe");
        Assert.Equal("probe", Assert.IsType<Identify>(json.FromBinary(json.ToBinary(identify), typeof(object))).MessageId);
    }

    /// <summary>Bytes as a sender without the allow-list writes them, read by this fabric's serializer.</summary>
    private object FromWire(object value)
    {
        // Akka's stock Hyperion serializer with Fabric's settings, but no allow-list: what a foreign sender writes.
        var fabric = Akka.Serialization.HyperionSerializerSettings.Create(_system.Settings.Config.GetConfig("akka.actor.serialization-settings.hyperion"));
        var settings = new Akka.Serialization.HyperionSerializerSettings(fabric.PreserveObjectReferences, fabric.VersionTolerance, fabric.KnownTypesProvider,
            fabric.PackageNameOverrides, fabric.Surrogates, disallowUnsafeType: false, typeFilter: Hyperion.DisabledTypeFilter.Instance);
        var open = new Akka.Serialization.HyperionSerializer((ExtendedActorSystem)_system, settings);
        var serializer = _system.Serialization.FindSerializerForType(typeof(Rejected));
        Assert.Equal(open.Identifier, serializer.Identifier);
        return serializer.FromBinary(open.ToBinary(value), typeof(object));
    }

    private static Fabric.Control.Profiles.ProfileState ProfileStateWithReply(object reply) =>
        new("p", true, [new ProfileGroup("sha256", 1)], RequestLog.Empty.Record("r1", reply));

    private static object? Sample(Type type, int depth)
    {
        if (type == typeof(string))
        {
            return "s";
        }

        if (type == typeof(object))
        {
            return new Rejected(RejectReason.NoCapacity, "full");
        }

        if (Nullable.GetUnderlyingType(type) is { } underlying)
        {
            return Sample(underlying, depth);
        }

        if (type.IsEnum)
        {
            return Enum.GetValues(type).GetValue(Enum.GetValues(type).Length - 1);
        }

        if (type.IsPrimitive || type == typeof(decimal))
        {
            return Convert.ChangeType(7, type);
        }

        if (type == typeof(DateTimeOffset))
        {
            return new DateTimeOffset(2026, 12, 2, 6, 0, 0, TimeSpan.Zero);
        }

        if (type == typeof(DateTime))
        {
            return new DateTime(2026, 12, 2, 6, 0, 0, DateTimeKind.Utc);
        }

        if (type == typeof(TimeSpan))
        {
            return TimeSpan.FromSeconds(3);
        }

        if (type == typeof(Guid))
        {
            return Guid.Parse("0b0e6c4e-1f62-4a55-9d57-6e3c1c2a9f10");
        }

        if (type.IsArray)
        {
            var array = Array.CreateInstance(type.GetElementType()!, 1);
            array.SetValue(Sample(type.GetElementType()!, depth + 1), 0);
            return array;
        }

        if (type.IsGenericType)
        {
            var definition = type.GetGenericTypeDefinition();
            var arguments = type.GetGenericArguments();
            if (definition == typeof(IReadOnlyList<>) || definition == typeof(IEnumerable<>) || definition == typeof(IReadOnlyCollection<>))
            {
                return Sample(arguments[0].MakeArrayType(), depth);
            }

            if (definition == typeof(IReadOnlyDictionary<,>))
            {
                return Sample(typeof(Dictionary<,>).MakeGenericType(arguments), depth);
            }

            if (definition == typeof(Dictionary<,>))
            {
                var dictionary = (IDictionary)Activator.CreateInstance(type)!;
                dictionary.Add(Sample(arguments[0], depth + 1)!, Sample(arguments[1], depth + 1));
                return dictionary;
            }

            if (definition == typeof(ImmutableArray<>) || definition == typeof(ImmutableList<>) || definition == typeof(ImmutableSortedSet<>)
                || definition == typeof(ImmutableHashSet<>) || definition == typeof(ImmutableQueue<>))
            {
                var factory = definition.Assembly.GetType(definition.FullName![..definition.FullName!.IndexOf('`')])!;
                var create = factory.GetMethods().Single(m => m.Name == "Create" && m.GetParameters() is [{ ParameterType.IsGenericParameter: true }]);
                return create.MakeGenericMethod(arguments).Invoke(null, [Sample(arguments[0], depth + 1)]);
            }

            if (definition == typeof(ImmutableDictionary<,>))
            {
                var empty = type.GetField("Empty")!.GetValue(null)!;
                return type.GetMethod("Add")!.Invoke(empty, [Sample(arguments[0], depth + 1), Sample(arguments[1], depth + 1)]);
            }
        }

        if (depth > 4 && !type.IsValueType)
        {
            return null;
        }

        var constructor = type.GetConstructors().OrderByDescending(c => c.GetParameters().Length).FirstOrDefault();
        if (constructor is null)
        {
            return Activator.CreateInstance(type);
        }

        return constructor.Invoke(constructor.GetParameters().Select(p => Sample(p.ParameterType, depth + 1)).ToArray());
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
