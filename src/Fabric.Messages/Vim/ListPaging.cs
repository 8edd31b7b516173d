namespace Fabric.Messages.Vim;

/// <summary>
/// A list request, answered a page at a time so that no answer outgrows a remoting frame (1 MiB): the page holds
/// items after <see cref="Cursor"/> (null: from the start) in the list's order, at most <see cref="Limit"/> of them
/// (null: <see cref="ListLimits.DefaultLimit"/>; at most <see cref="ListLimits.MaxLimit"/>). The cursor is opaque:
/// pass on the <see cref="IListPage.NextCursor"/> of the page before.
/// </summary>
public interface IListQuery : IFabricMessage
{
    string? Cursor { get; }

    int? Limit { get; }
}

/// <summary>A page of a list; <see cref="NextCursor"/> asks for the next one, and is null on the last page.</summary>
public interface IListPage : IFabricMessage
{
    string? NextCursor { get; }
}

/// <summary>
/// How many items a page holds. The gateway also caps a page by its serialized size (half a frame), so the bound
/// holds whatever the items weigh; the limits keep the entity asks behind one page few.
/// </summary>
public static class ListLimits
{
    public const int DefaultLimit = 500;

    public const int MaxLimit = 1000;
}
