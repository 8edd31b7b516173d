using Fabric.Dataplane.Channel;
using Fabric.Dataplane.Drivers;
using Fabric.Dataplane.Engine;

namespace Fabric.Dataplane.Tests.Engine;

/// <summary>Issue 14, item 6: session ids never repeat, also past 65,535 open/close cycles of one index.</summary>
public class SessionTableTests
{
    [Fact]
    public void An_index_whose_generation_is_spent_is_retired_instead_of_reissuing_an_old_id()
    {
        using var driver = new Sha256Driver();
        // Two indices, both three opens away from the end of the 16-bit generation.
        var table = new SessionTable(2, startGeneration: ushort.MaxValue - 3);
        var issued = new List<uint>();
        while (true)
        {
            var status = table.Open(driver, [], out var id);
            if (status != OpStatus.Ok)
            {
                Assert.Equal(OpStatus.SessionTableFull, status);
                break;
            }
            Assert.DoesNotContain(id, issued);
            issued.Add(id);
            Assert.Equal(OpStatus.Ok, table.Close(driver, id));
            Assert.True(issued.Count <= 10, "the table kept issuing ids past the end of the generation");
        }

        Assert.Equal(6, issued.Count);
        Assert.Equal(2, table.Retired);
        Assert.Equal(0, table.Count);
        foreach (var id in issued)
        {
            Assert.False(table.TryGet(id, out _), $"closed id {id:x8} is valid again");
            Assert.Equal(OpStatus.BadSession, table.Close(driver, id));
        }
    }

    [Fact]
    public void A_retired_index_leaves_the_others_in_service()
    {
        using var driver = new Sha256Driver();
        var table = new SessionTable(2, startGeneration: ushort.MaxValue - 1);
        Assert.Equal(OpStatus.Ok, table.Open(driver, [], out var first));
        Assert.Equal(OpStatus.Ok, table.Close(driver, first));
        Assert.Equal(1, table.Retired);
        Assert.Equal(OpStatus.Ok, table.Open(driver, [], out var second));
        Assert.Equal(2, (int)(second & 0xFFFF));
        Assert.True(table.TryGet(second, out _));
    }
}
