using Fabric.Control.Indexes;
using Xunit;

namespace Fabric.Control.Tests.Indexes;

public sealed class SortedIndexTests
{
    private static SortedIndex With(params (string Id, string Group)[] entries)
    {
        var index = new SortedIndex();
        foreach (var (id, group) in entries)
        {
            index.Apply(new IndexChange(id, group, true));
        }

        return index;
    }

    [Fact]
    public void Pages_follow_each_other_in_ordinal_order_without_gaps_or_repeats()
    {
        var index = With(("c", "vm-1"), ("a", "vm-1"), ("e", "vm-2"), ("b", "vm-2"), ("d", "vm-1"));

        var first = index.Page(null, null, 2);
        var second = index.Page(null, first.Ids[^1], 2);
        var last = index.Page(null, second.Ids[^1], 2);

        Assert.Equal(["a", "b"], first.Ids);
        Assert.True(first.More);
        Assert.Equal(["c", "d"], second.Ids);
        Assert.True(second.More);
        Assert.Equal(["e"], last.Ids);
        Assert.False(last.More);
    }

    [Fact]
    public void A_group_pages_only_its_own_ids()
    {
        var index = With(("c", "vm-1"), ("a", "vm-1"), ("e", "vm-2"), ("b", "vm-2"), ("d", "vm-1"));

        var first = index.Page("vm-1", null, 2);
        var rest = index.Page("vm-1", first.Ids[^1], 2);

        Assert.Equal(["a", "c"], first.Ids);
        Assert.True(first.More);
        Assert.Equal(["d"], rest.Ids);
        Assert.False(rest.More);
        Assert.Empty(index.Page("vm-9", null, 2).Ids);
    }

    [Fact]
    public void A_cursor_whose_id_went_away_still_continues_after_it()
    {
        var index = With(("a", ""), ("b", ""), ("c", ""));
        var first = index.Page(null, null, 2);

        index.Apply(new IndexChange("b", "", false));

        Assert.Equal(["c"], index.Page(null, first.Ids[^1], 2).Ids);
        Assert.Empty(index.Page(null, "c", 2).Ids);
        Assert.Empty(index.Page(null, "z", 2).Ids);
    }

    [Fact]
    public void A_deleted_id_leaves_its_group_even_when_the_deletion_names_no_group()
    {
        var index = With(("a", "vm-1"), ("b", "vm-1"));

        index.Apply(new IndexChange("a", "", false));

        Assert.Equal(["b"], index.Page("vm-1", null, 10).Ids);
        Assert.Equal(["b"], index.Page(null, null, 10).Ids);
        Assert.Equal(1, index.Count);
    }
}
