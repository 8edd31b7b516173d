using Fabric.Control.Entities;
using Xunit;

namespace Fabric.Control.Tests.Persistence;

/// <summary>The bookkeeping of an entity's writes, without an actor: who waits, in order, and when a snapshot is due.</summary>
public sealed class WriteLedgerTests : Akka.TestKit.Xunit2.TestKit
{
    [Fact]
    public void Requesters_are_answered_oldest_first_and_the_ledger_is_idle_once_all_are()
    {
        var (first, second) = (CreateTestProbe().Ref, CreateTestProbe().Ref);
        var ledger = WriteLedger.Empty.Waiting(first).Waiting(second);

        Assert.False(ledger.Idle);
        Assert.Equal(second, ledger.Answered().InFlight.Peek());
        Assert.True(ledger.Answered().Answered().Idle);
        Assert.True(WriteLedger.Empty.Idle);
    }

    [Fact]
    public void A_due_snapshot_waits_for_writes_in_flight_and_counting_starts_again_once_taken()
    {
        var due = WriteLedger.Empty.Persisted(99).Persisted(1);
        Assert.True(due.SnapshotDue(100));
        Assert.False(WriteLedger.Empty.Persisted(99).SnapshotDue(100));

        Assert.False(due.MustDrainFirst(100));
        Assert.True(due.Waiting(CreateTestProbe().Ref).MustDrainFirst(100));
        Assert.Equal(0, due.SnapshotTaken().EventsSinceSnapshot);
    }

    [Fact]
    public void A_failed_write_hands_over_everyone_waiting_and_leaves_nobody_waiting()
    {
        var (first, second) = (CreateTestProbe().Ref, CreateTestProbe().Ref);

        var after = WriteLedger.Empty.Persisted(7).Waiting(first).Waiting(second).Failed(out var waiting);

        Assert.Equal([first, second], waiting);
        Assert.True(after.Idle);
        Assert.Equal(7, after.EventsSinceSnapshot);
    }
}
