using Akka.Actor;
using Fabric.Control;
using Fabric.Control.Configuration;
using Fabric.Control.Hosting;
using Fabric.Messages.Devices;
using Fabric.Messages.Errors;
using Fabric.Messages.Placement;
using Fabric.Messages.Profiles;

namespace Fabric.Control.Tests.Support;

/// <summary>A one-process fabric on its own SQLite file and a free port, and short ways to talk to it.</summary>
public sealed class TestNode : IAsyncDisposable
{
    public static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(20);

    private TestNode(FabricNode node, string database)
    {
        Node = node;
        Database = database;
    }

    public FabricNode Node { get; }

    public string Database { get; }

    public ControlPlane Control => Node.Control;

    public static string NewDatabasePath() =>
        Path.Combine(Path.GetTempPath(), "fabric-tests", Guid.NewGuid().ToString("N"), "fabric.db");

    public static async Task<TestNode> StartAsync(string? database = null, StoreKind store = StoreKind.Sqlite)
    {
        database ??= NewDatabasePath();
        var options = new FabricOptions
        {
            Store = store,
            Port = 0,
            NodeName = "test-host",
            Database = database,
            LogLevel = "WARNING",
            // The tests register devices of made-up hosts: the watcher's reconcile would mark them Lost 15 s in (a slow
            // run on a loaded machine got its device Lost mid-test). Node loss is tested by removals (Node.Tests).
            ExtraHocon = "fabric.control.node-loss.reconcile-every = off",
        };
        return new TestNode(await FabricNode.StartAsync(options, TimeSpan.FromSeconds(30)), database);
    }

    public Task<object> Ask(IActorRef region, object message) => region.Ask<object>(message, AskTimeout);

    public async Task<T> Expect<T>(IActorRef region, object message)
    {
        var reply = await Ask(region, message);
        return reply is T typed ? typed : throw new Xunit.Sdk.XunitException($"expected {typeof(T).Name}, got {reply}");
    }

    public async Task<Rejected> ExpectRejected(IActorRef region, object message, RejectReason reason)
    {
        var rejected = await Expect<Rejected>(region, message);
        Xunit.Assert.Equal(reason, rejected.Reason);
        return rejected;
    }

    public Task<DeviceView> RegisterDevice(string host, string name, int queuePairs, params string[] functions) =>
        Expect<DeviceView>(Control.Devices, new RegisterDevice($"{host}/{name}", host, "software", functions, queuePairs, NewId()));

    public Task<ProfileView> CreateProfile(string name, params ProfileGroup[] groups) =>
        Expect<ProfileView>(Control.Profiles, new CreateProfile(name, groups, NewId()));

    /// <summary>Waits until the capacity read model has caught up with the journal for these devices.</summary>
    public Task AwaitPlacementSees(Func<CapacitySnapshot, bool> condition) =>
        Eventually.For(() => Control.Placement!.Ask<CapacitySnapshot>(GetCapacity.Instance, AskTimeout), condition,
            "the read model did not catch up", AskTimeout,
            describe: snapshot => $"it has {snapshot.Devices.Count} devices at offset {snapshot.Offset}");

    public Task AwaitPlacementSeesDevices(int count) => AwaitPlacementSees(s => s.Devices.Count >= count);

    public static string NewId() => Guid.NewGuid().ToString("N");

    public async ValueTask DisposeAsync()
    {
        await Node.DisposeAsync();
    }

    /// <summary>Stops the node and removes its database folder.</summary>
    public async Task DisposeAndDeleteAsync()
    {
        await DisposeAsync();
        TryDelete(Database);
    }

    public static void TryDelete(string database)
    {
        if (!File.Exists(database))
        {
            return;
        }

        try
        {
            Directory.Delete(Path.GetDirectoryName(database)!, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
