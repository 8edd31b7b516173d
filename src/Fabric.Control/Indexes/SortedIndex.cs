namespace Fabric.Control.Indexes;

/// <summary>
/// Which ids exist, by group, in ordinal order so that a list can be read a page at a time: a page starts after the
/// last id of the page before. Owned by one actor (<see cref="EntityIndex"/>); not thread-safe.
/// </summary>
public sealed class SortedIndex
{
    private readonly Dictionary<string, string> _groupOf = new(StringComparer.Ordinal);
    private readonly SortedSet<string> _all = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SortedSet<string>> _byGroup = new(StringComparer.Ordinal);

    public int Count => _all.Count;

    public void Apply(IndexChange change)
    {
        Remove(change.Id);
        if (change.Exists)
        {
            _groupOf[change.Id] = change.Group;
            _all.Add(change.Id);
            if (!_byGroup.TryGetValue(change.Group, out var ids))
            {
                ids = new SortedSet<string>(StringComparer.Ordinal);
                _byGroup[change.Group] = ids;
            }

            ids.Add(change.Id);
        }
    }

    /// <summary>At most <paramref name="limit"/> ids of <paramref name="group"/> (all when null) after <paramref name="after"/>, and whether more follow.</summary>
    public IndexEntries Page(string? group, string? after, int limit)
    {
        var ids = group is null ? _all : _byGroup.GetValueOrDefault(group);
        if (ids is null || ids.Count == 0)
        {
            return new IndexEntries([], false);
        }

        IEnumerable<string> from = ids;
        if (after is not null)
        {
            if (StringComparer.Ordinal.Compare(after, ids.Max) >= 0)
            {
                return new IndexEntries([], false);
            }

            from = ids.GetViewBetween(after, ids.Max!).SkipWhile(id => id == after);
        }

        var page = new List<string>(Math.Clamp(limit, 0, ids.Count));
        var more = false;
        foreach (var id in from)
        {
            if (page.Count == limit)
            {
                more = true;
                break;
            }

            page.Add(id);
        }

        return new IndexEntries(page.ToArray(), more);
    }

    private void Remove(string id)
    {
        if (!_groupOf.Remove(id, out var group))
        {
            return;
        }

        _all.Remove(id);
        if (_byGroup.TryGetValue(group, out var ids))
        {
            ids.Remove(id);
            if (ids.Count == 0)
            {
                _byGroup.Remove(group);
            }
        }
    }
}
