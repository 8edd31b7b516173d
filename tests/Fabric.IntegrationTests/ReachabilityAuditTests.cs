using Fabric.Bench.Chaos;
using Xunit;

namespace Fabric.IntegrationTests;

/// <summary>The drills' audit of failure-detector verdicts, on log lines as Akka writes them.</summary>
public sealed class ReachabilityAuditTests
{
    private static readonly DateTime Killed = new(2026, 12, 2, 5, 50, 0, DateTimeKind.Utc);

    private static string Mark(string at, int port) =>
        $"[WARNING][12/02/2026 {at}Z][Thread 0026][akka.tcp://fabric@127.0.0.1:4001/system/cluster/core/daemon] Cluster Node [akka.tcp://fabric@127.0.0.1:4001] - Marking node(s) as UNREACHABLE [Member(address = akka.tcp://fabric@127.0.0.1:{port}, Uid=1415861314 status = Up, role=[compute,node:h2,control], upNumber=2, version=1.0.0)]. Node roles [compute,control,node:h1]";

    [Fact]
    public void A_mark_of_a_node_the_drill_killed_is_expected_and_one_of_a_running_node_is_not()
    {
        var h1 = new AuditedNode("h1", 4001, [], [
            Mark("05:49:30.000", 4002), // h2 running: spurious
            Mark("05:50:06.500", 4002), // h2 killed at 05:50:00, started again at 05:50:30: expected
            Mark("05:50:45.250", 4002), // h2's new incarnation, running: spurious
            Mark("05:50:10.000", 4999), // not a node of the drill: ignored
            "[WARNING][12/02/2026 05:51:00.000Z][Thread 0026][x] Cluster Node [x] - Marking exiting node(s) as UNREACHABLE [Member(address = akka.tcp://fabric@127.0.0.1:4002, Uid=1)]",
        ]);
        var h2 = new AuditedNode("h2", 4002, [new DownWindow(Killed, Killed.AddSeconds(30))], []);

        var spurious = ReachabilityAudit.SpuriousMarks([h1, h2]);

        Assert.Equal(
            ["h1 marked h2 unreachable at 05:49:30.000 while it was running", "h1 marked h2 unreachable at 05:50:45.250 while it was running"],
            spurious);
    }

    [Fact]
    public void A_node_still_down_at_the_end_may_be_marked_any_time_after_its_kill()
    {
        var h1 = new AuditedNode("h1", 4001, [], [Mark("05:59:59.999", 4003)]);
        var h3 = new AuditedNode("h3", 4003, [new DownWindow(Killed, null)], []);

        Assert.Empty(ReachabilityAudit.SpuriousMarks([h1, h3]));
    }
}
