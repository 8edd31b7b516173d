using System.Collections.Immutable;
using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Cluster.Tools.Client;
using Akka.Configuration;
using Fabric.Messages.Attachments;
using Fabric.Messages.Devices;
using Fabric.Messages.Errors;
using Fabric.Messages.Node;
using Fabric.Messages.Pipelines;
using Fabric.Messages.Profiles;
using Fabric.Security;
using Fabric.Messages.Vim;

namespace Fabric.Vim.Client;

/// <summary>
/// Lists in requests are sent as arrays: the wire carries the runtime type of a list, and the fabric cannot load a
/// collection type that only exists in the caller's assembly (what a C# collection expression creates).
/// A VIM's connection to the fabric: a cluster client to the gateways of the control nodes. Every command carries
/// a request id and is retried with the same id when no answer comes in time, so a retry gets the first answer;
/// refusals surface as <see cref="FabricRejectedException"/>, an unreachable fabric as <see cref="FabricUnreachableException"/>.
/// </summary>
public sealed class FabricVimClient : IAsyncDisposable
{
    private const string GatewayPath = "/user/vim-gateway";
    private static readonly TimeSpan LeavingPause = TimeSpan.FromMilliseconds(200);
    private readonly ActorSystem _system;
    private readonly IActorRef _client;
    private readonly string _gatewayPath;

    private FabricVimClient(ActorSystem system, IActorRef client, string gatewayPath, TimeSpan timeout, int attempts)
    {
        _system = system;
        _client = client;
        _gatewayPath = gatewayPath;
        Timeout = timeout;
        Attempts = attempts;
    }

    public TimeSpan Timeout { get; }

    public int Attempts { get; }

    /// <summary>Connects and checks that a gateway answers; throws <see cref="FabricUnreachableException"/> if none does within <paramref name="timeout"/>.</summary>
    public static Task<FabricVimClient> ConnectAsync(string contacts, TimeSpan timeout, int attempts = 3, CancellationToken cancellation = default) =>
        ConnectAsync(contacts, GatewayPath, timeout, attempts, null, cancellation);

    /// <summary>Connects to the VIM gateway over TLS with the cluster's certificate when <paramref name="tls"/> is given.</summary>
    public static Task<FabricVimClient> ConnectAsync(string contacts, TimeSpan timeout, ClusterTls? tls, int attempts = 3, CancellationToken cancellation = default) =>
        ConnectAsync(contacts, GatewayPath, timeout, attempts, tls, cancellation);

    /// <summary>
    /// Connects to another gateway the control nodes register with the receptionist (e.g. <c>/user/operator-gateway</c>);
    /// it must answer <see cref="GetGatewayInfo"/>, which is how the connection is checked.
    /// </summary>
    public static Task<FabricVimClient> ConnectAsync(string contacts, string gatewayPath, TimeSpan timeout, int attempts, CancellationToken cancellation = default) =>
        ConnectAsync(contacts, gatewayPath, timeout, attempts, null, cancellation);

    /// <summary>
    /// Connects over TLS with the cluster's certificate when <paramref name="tls"/> is given (a fabric with TLS refuses
    /// any client without it), plaintext otherwise. A refused TLS handshake ends the attempt at once with a
    /// <see cref="FabricUnreachableException"/> that says what the TLS layer reported.
    /// </summary>
    public static async Task<FabricVimClient> ConnectAsync(string contacts, string gatewayPath, TimeSpan timeout, int attempts, ClusterTls? tls, CancellationToken cancellation = default)
    {
        var paths = ContactPoints.Parse(contacts, tls is not null);
        var bootstrap = BootstrapSetup.Create().WithConfig(ClientConfig(tls));
        var system = ActorSystem.Create("fabric-vim", tls is null ? ActorSystemSetup.Create(bootstrap) : bootstrap.And(tls.Setup()));
        try
        {
            var tlsFailures = TlsFailureListener.Start(system);
            var settings = ClusterClientSettings.Create(system).WithInitialContacts(paths.ToImmutableHashSet());
            var client = system.ActorOf(ClusterClient.Props(settings), "cluster-client");
            var connection = new FabricVimClient(system, client, gatewayPath, timeout, attempts);
            var check = connection.Request<GatewayInfo>(GetGatewayInfo.Instance, cancellation);
            // Akka stops a system whose outbound TLS handshake fails: no answer can come after that.
            if (await Task.WhenAny(check, tlsFailures.Failed, system.WhenTerminated) != check)
            {
                throw new FabricUnreachableException(
                    $"the TLS connection to the fabric at {contacts} failed, so this client stopped: {tlsFailures.Last ?? "the handshake was refused"}; "
                    + "client and fabric need certificates of the same cluster CA (--tls-cert), and the fabric must speak TLS");
            }

            try
            {
                await check;
            }
            catch (FabricUnreachableException)
            {
                var hint = tlsFailures.Last is { } failure
                    ? $"; TLS: {failure}"
                    : tls is null
                        ? "; if the fabric speaks TLS (the default), this client needs its data folder (--data) or the cluster's certificate (--tls-cert)"
                        : "";
                throw new FabricUnreachableException(
                    $"no fabric gateway answered at {contacts} within {timeout.TotalSeconds * attempts:0}s; is a fabric-node with the control role running there?{hint}");
            }

            return connection;
        }
        catch
        {
            await system.Terminate();
            throw;
        }
    }

    /// <summary>
    /// Sends a request to a gateway and waits for its typed answer, retrying on silence. A list request from the start
    /// (an <see cref="IListQuery"/> without a cursor) is followed page by page to its end and answered as one list;
    /// <see cref="RequestPage{T}"/> asks for one page.
    /// </summary>
    public async Task<T> Request<T>(object message, CancellationToken cancellation = default)
    {
        var reply = await Send<T>(message, cancellation);
        if (message is not IListQuery { Cursor: null } query || reply is not IListPage { NextCursor: not null })
        {
            return reply;
        }

        var pages = new List<object> { reply };
        string? previous = null;
        while (pages[^1] is IListPage { NextCursor: { } cursor })
        {
            if (cursor == previous)
            {
                throw new InvalidOperationException($"the gateway answered {message.GetType().Name} with the same cursor twice ('{cursor}'); the list cannot be read to its end");
            }

            previous = cursor;
            pages.Add((await Send<T>(ListFollowing.After(query, cursor), cancellation))!);
        }

        return (T)ListFollowing.Join(pages);
    }

    /// <summary>One page of a list: the items after <see cref="IListQuery.Cursor"/> and the cursor of the next page (null at the end).</summary>
    public Task<T> RequestPage<T>(IListQuery query, CancellationToken cancellation = default) where T : IListPage =>
        Send<T>(query, cancellation);

    /// <summary>
    /// One request, retried with the same message on silence (up to <see cref="Attempts"/>) and on a leaving node's
    /// refusal (<see cref="RejectReason.NodeLeaving"/>: another control node answers the retry; commands are
    /// idempotent by request id) until the time of all attempts is spent.
    /// </summary>
    private async Task<T> Send<T>(object message, CancellationToken cancellation)
    {
        var deadline = DateTime.UtcNow + Timeout * Attempts;
        for (var attempt = 1; ; attempt++)
        {
            cancellation.ThrowIfCancellationRequested();
            object reply;
            try
            {
                reply = await _client.Ask<object>(new ClusterClient.Send(_gatewayPath, message, localAffinity: false), Timeout, cancellation);
            }
            catch (AskTimeoutException) when (attempt < Attempts)
            {
                continue;
            }
            catch (AskTimeoutException)
            {
                throw new FabricUnreachableException($"no answer to {message.GetType().Name} after {Attempts} attempt(s) of {Timeout.TotalSeconds:0}s");
            }

            if (reply is Rejected { Reason: RejectReason.NodeLeaving } && DateTime.UtcNow + LeavingPause < deadline)
            {
                // Not an attempt lost to silence: the gateway answered, and the receptionist needs a moment to stop routing to it.
                attempt--;
                await Task.Delay(LeavingPause, cancellation);
                continue;
            }

            return reply switch
            {
                T typed => typed,
                Rejected rejected => throw new FabricRejectedException(rejected),
                _ => throw new InvalidOperationException($"unexpected answer {reply.GetType().Name} to {message.GetType().Name}"),
            };
        }
    }

    public static string NewRequestId() => Guid.NewGuid().ToString("N");

    public Task<ProfileView> CreateProfile(string name, IReadOnlyList<ProfileGroup> groups, string? requestId = null, string? project = null, ServiceLevel? level = null) =>
        Request<ProfileView>(new CreateProfile(name, groups.ToArray(), requestId ?? NewRequestId(), project, level));

    public async Task<IReadOnlyList<ProfileView>> ListProfiles() => (await Request<ProfileList>(Messages.Vim.ListProfiles.Instance)).Profiles;

    /// <summary>One page of the profiles after <paramref name="cursor"/> (null: from the first); pass on its next cursor for the next page.</summary>
    public Task<ProfileList> ListProfilesPage(string? cursor, int? limit = null) => RequestPage<ProfileList>(new ListProfiles(cursor, limit));

    public Task<ProfileView> GetProfile(string name) => Request<ProfileView>(new GetProfile(name));

    public Task<ProfileView> DeleteProfile(string name, string? requestId = null) => Request<ProfileView>(new DeleteProfile(name, requestId ?? NewRequestId()));

    public Task<AttachmentView> CreateAttachment(string id, string vmId, string profile, string? requestId = null, string? project = null) =>
        Request<AttachmentView>(new CreateAttachment(id, vmId, profile, requestId ?? NewRequestId(), project));

    public Task<AttachmentView> Bind(string id, string? host, string? requestId = null) =>
        Request<AttachmentView>(new BindAttachment(id, host, requestId ?? NewRequestId()));

    public Task<AttachmentView> GetAttachment(string id) => Request<AttachmentView>(new GetAttachment(id));

    public async Task<IReadOnlyList<AttachmentView>> ListAttachments(string? vmId) => (await Request<AttachmentList>(new ListAttachments(vmId))).Attachments;

    /// <summary>One page of the attachments (of one VM when <paramref name="vmId"/> is given) after <paramref name="cursor"/>.</summary>
    public Task<AttachmentList> ListAttachmentsPage(string? vmId, string? cursor, int? limit = null) =>
        RequestPage<AttachmentList>(new ListAttachments(vmId, cursor, limit));

    /// <summary>A new service level for the attachment; its device commits the rates, its node applies it (issue 19).</summary>
    public Task<AttachmentView> SetServiceLevel(string id, ServiceLevel level, string? requestId = null) =>
        Request<AttachmentView>(new SetAttachmentServiceLevel(id, level, requestId ?? NewRequestId()));

    public Task<AttachmentView> DeleteAttachment(string id, string? requestId = null) => Request<AttachmentView>(new DeleteAttachment(id, requestId ?? NewRequestId()));

    public async Task<IReadOnlyList<DeviceView>> ListDevices(string? node) => (await Request<DeviceList>(new ListDevices(node))).Devices;

    /// <summary>One page of the devices (of one node when <paramref name="node"/> is given) after <paramref name="cursor"/>.</summary>
    public Task<DeviceList> ListDevicesPage(string? node, string? cursor, int? limit = null) => RequestPage<DeviceList>(new ListDevices(node, cursor, limit));

    public Task<DeviceView> GetDevice(string id) => Request<DeviceView>(new GetDevice(id));

    public Task<DeviceView> SetDeviceEnabled(string id, bool enabled, string reason, string? requestId = null) =>
        Request<DeviceView>(new SetDeviceEnabled(id, enabled, reason, requestId ?? NewRequestId()));

    /// <summary>Marks an attachment failed (e.g. its VM could not be started with it); it keeps its reservation until deleted.</summary>
    public Task<AttachmentView> FailAttachment(string id, string reason, string? requestId = null) =>
        Request<AttachmentView>(new FailAttachment(id, reason, requestId ?? NewRequestId()));

    /// <summary>Offers only <paramref name="function"/> of the device for placement (Cyborg's program), or all it can run when null.</summary>
    public Task<DeviceView> ProgramDevice(string id, string? function, string? requestId = null) =>
        Request<DeviceView>(new ProgramDevice(id, function, requestId ?? NewRequestId()));

    public Task<PipelineView> DefinePipeline(string attachmentId, string name, IReadOnlyList<string> stages, string? requestId = null) =>
        Request<PipelineView>(new DefinePipeline($"{attachmentId}/{name}", attachmentId, stages.ToArray(), requestId ?? NewRequestId()));

    /// <param name="machine">Null: the VIM runs the VM itself; set: the node agent starts it (QEMU) on the realized accelerators.</param>
    public Task<VmRealized> SpawnVm(string vmId, string host, IReadOnlyList<VmAccelerator> accelerators, string? requestId = null, VmMachine? machine = null) =>
        Request<VmRealized>(new VmSpawnRequested(vmId, host, accelerators.ToArray(), requestId ?? NewRequestId(),
            machine is null ? null : machine with { GuestArgs = machine.GuestArgs.ToArray() }));

    public Task<VmStopped> DeleteVm(string vmId, string host, string? requestId = null) =>
        Request<VmStopped>(new VmDeleteRequested(vmId, host, requestId ?? NewRequestId()));

    public Task<VmRealized> MoveVm(string vmId, string fromHost, string toHost, IReadOnlyList<VmAccelerator> accelerators, string? requestId = null) =>
        Request<VmRealized>(new VmMoveRequested(vmId, fromHost, toHost, accelerators.ToArray(), requestId ?? NewRequestId()));

    public Task<GatewayInfo> Info() => Request<GatewayInfo>(GetGatewayInfo.Instance);

    /// <summary>Receives <see cref="FabricEvent"/>s (bind results, failed devices, lost nodes) until disposed.</summary>
    public IDisposable Subscribe(Action<FabricEvent> handler)
    {
        var subscriber = _system.ActorOf(Akka.Actor.Props.Create(() => new EventSubscriber(_client, _gatewayPath, handler)));
        return new Unsubscriber(subscriber);
    }

    /// <summary>
    /// Starts an actor beside the connection, made from the cluster client and the gateway path (e.g. one that keeps
    /// a subscription's lease alive, as <see cref="Subscribe"/> does); disposing the result stops it.
    /// </summary>
    public IDisposable StartActor(Func<IActorRef, string, Props> props)
    {
        var actor = _system.ActorOf(props(_client, _gatewayPath));
        return new Unsubscriber(actor);
    }

    public async ValueTask DisposeAsync() => await _system.Terminate();

    private static Config ClientConfig(ClusterTls? tls)
    {
        var folder = Path.Combine(AppContext.BaseDirectory, "hocon");
        var serialization = File.ReadAllText(Path.Combine(folder, "serialization.conf"));
        // TLS as a fabric-node speaks it (hocon/tls.conf), with this client's certificate.
        var tlsConfig = tls is null ? "" : File.ReadAllText(Path.Combine(folder, "tls.conf")) + "\n" + tls.Hocon();
        return ConfigurationFactory.ParseString($$"""
            {{tlsConfig}}
            akka {
              # A client's own transport chatter is not the user's business (a gateway node going away is logged
              # as an error by the remoting layer, then the client moves on to another); failures surface as exceptions.
              # Nothing prints the log (no loggers); warnings reach the event stream only so that a refused TLS
              # handshake can be told to the user (TlsFailureListener).
              loglevel = WARNING
              loggers = []
              stdout-loglevel = OFF
              log-dead-letters = off
              actor.provider = remote
              remote.dot-netty.tcp { hostname = "127.0.0.1", port = 0, maximum-frame-size = 1 MiB }
              cluster.client {
                establishing-get-contacts-interval = 1s
                refresh-contacts-interval = 10s
                reconnect-timeout = off
              }
            }
            """).WithFallback(ConfigurationFactory.ParseString(serialization));
    }

    private sealed class Unsubscriber(IActorRef subscriber) : IDisposable
    {
        public void Dispose() => subscriber.Tell(PoisonPill.Instance);
    }
}
