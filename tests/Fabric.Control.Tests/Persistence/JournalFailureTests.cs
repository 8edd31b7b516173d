using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence;
using Akka.Persistence.TestKit;
using Fabric.Control.Attachments;
using Fabric.Control.Devices;
using Fabric.Control.Profiles;
using Fabric.Messages.Attachments;
using Fabric.Messages.Devices;
using Fabric.Messages.Placement;
using Fabric.Messages.Errors;
using Fabric.Messages.Profiles;
using Xunit;

namespace Fabric.Control.Tests.Persistence;

/// <summary>Entities on Akka.Persistence.TestKit's journal, which fails writes on command.</summary>
public sealed class JournalFailureTests : Akka.TestKit.Xunit2.TestKit
{
    private static readonly Config TestJournalConfig = ConfigurationFactory.ParseString("""
        akka.loglevel = WARNING
        akka.persistence {
          journal {
            plugin = "akka.persistence.journal.test"
            auto-start-journals = ["akka.persistence.journal.test"]
            test {
              class = "Akka.Persistence.TestKit.TestJournal, Akka.Persistence.TestKit"
              plugin-dispatcher = "akka.actor.default-dispatcher"
            }
          }
          snapshot-store {
            plugin = "akka.persistence.snapshot-store.test"
            auto-start-snapshot-stores = ["akka.persistence.snapshot-store.test"]
            test {
              class = "Akka.Persistence.TestKit.TestSnapshotStore, Akka.Persistence.TestKit"
              plugin-dispatcher = "akka.actor.default-dispatcher"
            }
          }
        }
        """);

    public JournalFailureTests()
        : base(TestJournalConfig)
    {
    }

    private ITestJournal Journal => TestJournal.FromRef(Akka.Persistence.Persistence.Instance.Apply(Sys).JournalFor(null));

    [Fact]
    public async Task A_failed_journal_write_answers_persistence_failed_and_the_entity_recovers_its_last_persisted_state()
    {
        var device = Sys.ActorOf(DeviceActor.Props("host-f/sw0"));
        device.Tell(new RegisterDevice("host-f/sw0", "host-f", "software", ["sha256"], 4, "r1"));
        ExpectMsg<DeviceView>();
        device.Tell(new ReserveCapacity("host-f/sw0", "att-1", ["sha256"], 1, "r2"));
        ExpectMsg<CapacityReserved>();

        await Journal.OnWrite.Fail();
        Watch(device);
        device.Tell(new ReserveCapacity("host-f/sw0", "att-2", ["sha256"], 2, "r3"));
        var rejected = ExpectMsg<Rejected>();
        Assert.Equal(RejectReason.PersistenceFailed, rejected.Reason);
        // A failed write may have reached the journal: the refusal must not say nothing changed.
        Assert.DoesNotContain("nothing was changed", rejected.Message);
        Assert.Contains("retry later with the same request id", rejected.Message);
        ExpectTerminated(device);

        await Journal.OnWrite.Pass();
        var recovered = Sys.ActorOf(DeviceActor.Props("host-f/sw0"));
        recovered.Tell(new GetDevice("host-f/sw0"));
        var view = ExpectMsg<DeviceView>();
        Assert.Equal(1, view.ReservedQueuePairs);
        Assert.Equal(["att-1"], view.Holders.Keys);

        // The failed request was not recorded: retried once the journal works, it goes through.
        recovered.Tell(new ReserveCapacity("host-f/sw0", "att-2", ["sha256"], 2, "r3"));
        Assert.Equal(2, ExpectMsg<CapacityReserved>().QueuePairs);
    }

    [Fact]
    public async Task When_recovery_fails_every_command_that_waited_for_it_is_answered_that_the_store_is_failing()
    {
        // The store failing (the journal's circuit breaker open): the entity cannot read its state. The commands that
        // started it and queued behind it used to go to dead letters and their requesters waited for a timeout.
        var registered = Sys.ActorOf(DeviceActor.Props("host-r/sw0"));
        registered.Tell(new RegisterDevice("host-r/sw0", "host-r", "software", ["sha256"], 8, "r"));
        ExpectMsg<DeviceView>();
        Watch(registered);
        Sys.Stop(registered);
        ExpectTerminated(registered);

        // Failing after a while, as a breaker-guarded query does: the commands below are all queued behind the recovery
        // (sent to a stopped entity they would go to dead letters by Akka's own rules, whatever the entity does).
        await Journal.OnRecovery.FailWithDelay(TimeSpan.FromMilliseconds(500));
        var device = Sys.ActorOf(DeviceActor.Props("host-r/sw0"));
        Watch(device);
        var requesters = Enumerable.Range(0, 5).Select(_ => CreateTestProbe()).ToArray();
        for (var i = 0; i < requesters.Length; i++)
        {
            device.Tell(new ReserveCapacity("host-r/sw0", $"att-{i}", ["sha256"], 1, $"r{i}"), requesters[i].Ref);
        }

        foreach (var requester in requesters)
        {
            var rejected = requester.ExpectMsg<Rejected>(TimeSpan.FromSeconds(10));
            Assert.Equal(RejectReason.PersistenceFailed, rejected.Reason);
            Assert.Contains("the store is failing", rejected.Message);
        }

        ExpectTerminated(device);
        await Journal.OnRecovery.Pass();
    }

    [Fact]
    public async Task When_a_device_write_fails_every_request_decided_on_it_is_refused_and_the_device_recovers_what_the_journal_holds()
    {
        // Devices decide requests while earlier writes are in flight: the refusal after a failed write must reach
        // every requester whose answer rested on the unwritten state, also one refused for capacity it used.
        var device = Sys.ActorOf(DeviceActor.Props("host-p/sw0"));
        device.Tell(new RegisterDevice("host-p/sw0", "host-p", "software", ["sha256"], 3, "r1"));
        ExpectMsg<DeviceView>();
        device.Tell(new ReserveCapacity("host-p/sw0", "att-1", ["sha256"], 1, "r2"));
        ExpectMsg<CapacityReserved>();

        // The write fails only once every request is in the device's mailbox: a request sent after the device
        // stopped goes to dead letters by Akka's own rules (sharding buffers it for the next incarnation instead).
        var gate = new GatedWriteFailure();
        await Journal.OnWrite.SetInterceptorAsync(gate);
        Watch(device);
        var requesters = Enumerable.Range(2, 4).Select(_ => CreateTestProbe()).ToArray();
        for (var i = 0; i < requesters.Length; i++)
        {
            device.Tell(new ReserveCapacity("host-p/sw0", $"att-{i + 2}", ["sha256"], 1, $"r{i + 3}"), requesters[i].Ref);
        }

        gate.Open();

        foreach (var requester in requesters)
        {
            Assert.Equal(RejectReason.PersistenceFailed, requester.ExpectMsg<Rejected>().Reason);
        }

        ExpectTerminated(device);
        await Journal.OnWrite.Pass();
        var recovered = Sys.ActorOf(DeviceActor.Props("host-p/sw0"));
        recovered.Tell(new GetDevice("host-p/sw0"));
        var view = ExpectMsg<DeviceView>();
        Assert.Equal(["att-1"], view.Holders.Keys);
        Assert.Equal(2, view.Revision);
    }

    [Fact]
    public async Task Requests_that_queue_at_a_device_are_answered_from_one_state_that_never_gives_a_queue_pair_twice()
    {
        var device = Sys.ActorOf(DeviceActor.Props("host-q/sw0"));
        device.Tell(new RegisterDevice("host-q/sw0", "host-q", "software", ["sha256"], 3, "r1"));
        ExpectMsg<DeviceView>();

        var requesters = Enumerable.Range(0, 8).Select(_ => CreateTestProbe()).ToArray();
        for (var i = 0; i < requesters.Length; i++)
        {
            device.Tell(new ReserveCapacity("host-q/sw0", $"att-{i}", ["sha256"], 1, $"q{i}"), requesters[i].Ref);
        }

        // A release queued behind them frees one queue pair for the reservation after it.
        device.Tell(new ReleaseCapacity("host-q/sw0", "att-0", "q-release"));
        device.Tell(new ReserveCapacity("host-q/sw0", "att-late", ["sha256"], 1, "q-late"));
        var answers = requesters.Select(r => r.ExpectMsg<object>()).ToArray();
        Assert.Equal(3, answers.OfType<CapacityReserved>().Count());
        Assert.All(answers.OfType<Rejected>(), r => Assert.Equal(RejectReason.NoCapacity, r.Reason));
        Assert.IsType<CapacityReserved>(answers[0]);
        Assert.Equal(1, ExpectMsg<CapacityReleased>().QueuePairs);
        Assert.Equal(3, ExpectMsg<CapacityReserved>().Device.ReservedQueuePairs);

        // What was answered is what the journal holds.
        Watch(device);
        Sys.Stop(device);
        ExpectTerminated(device);
        var recovered = Sys.ActorOf(DeviceActor.Props("host-q/sw0"));
        recovered.Tell(new GetDevice("host-q/sw0"));
        var view = ExpectMsg<DeviceView>();
        Assert.Equal(["att-1", "att-2", "att-late"], view.Holders.Keys.Order());
    }

    [Fact]
    public async Task A_write_that_fails_in_the_middle_of_a_bind_answers_the_requester_and_the_attachment_recovers_unbound()
    {
        var devices = CreateTestProbe();
        var profiles = CreateTestProbe();
        var placement = CreateTestProbe();
        var deps = new AttachmentDependencies(devices, profiles, placement, TimeSpan.FromSeconds(5));
        var attachment = Sys.ActorOf(AttachmentActor.Props("arq-jf", deps));
        attachment.Tell(new CreateAttachment("arq-jf", "vm-jf", "p", "c1"));
        profiles.ExpectMsg<GetProfile>();
        profiles.Reply(new ProfileView("p", [new ProfileGroup("sha256", 1)], true));
        Assert.Equal(AttachmentStatus.Initial, ExpectMsg<AttachmentView>().Status);

        Watch(attachment);
        attachment.Tell(new BindAttachment("arq-jf", null, "b1"));
        placement.ExpectMsg<FindCandidates>();
        await Journal.OnWrite.Fail();
        placement.Reply(new Candidates(["h/d0"]));

        Assert.Equal(RejectReason.PersistenceFailed, ExpectMsg<Rejected>().Reason);
        ExpectTerminated(attachment);
        devices.ExpectNoMsg(TimeSpan.FromMilliseconds(200));

        await Journal.OnWrite.Pass();
        var recovered = Sys.ActorOf(AttachmentActor.Props("arq-jf", deps));
        recovered.Tell(new GetAttachment("arq-jf"));
        var view = ExpectMsg<AttachmentView>();
        Assert.Equal(AttachmentStatus.Initial, view.Status);
        Assert.Null(view.DeviceId);
    }

    [Fact]
    public async Task A_rejected_journal_write_answers_persistence_failed_and_keeps_the_entity_running_unchanged()
    {
        var profile = Sys.ActorOf(ProfileActor.Props("p1"));
        await Journal.OnWrite.Reject();

        profile.Tell(new CreateProfile("p1", [new ProfileGroup("sha256", 1)], "r1"));
        Assert.Equal(RejectReason.PersistenceFailed, ExpectMsg<Rejected>().Reason);
        profile.Tell(new GetProfile("p1"));
        Assert.Equal(RejectReason.NotFound, ExpectMsg<Rejected>().Reason);

        await Journal.OnWrite.Pass();
        profile.Tell(new CreateProfile("p1", [new ProfileGroup("sha256", 1)], "r1"));
        Assert.True(ExpectMsg<ProfileView>().Exists);
    }

    /// <summary>Fails every write, each one only after <see cref="Open"/>.</summary>
    private sealed class GatedWriteFailure : IJournalInterceptor
    {
        private readonly TaskCompletionSource _opened = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Open() => _opened.TrySetResult();

        public async Task InterceptAsync(IPersistentRepresentation message)
        {
            await _opened.Task;
            throw new IOException("the test fails this write");
        }
    }
}
