namespace Fabric.Guest;

/// <summary>The names <c>--op</c> accepts. Several are aliases, so a command line can say what the user means.</summary>
public static class GuestOps
{
    private static readonly (string Name, GuestOp Op)[] s_names =
    [
        ("nop", GuestOp.Nop),
        ("forward", GuestOp.Forward),
        ("seal", GuestOp.Forward),
        ("hash", GuestOp.Forward),
        ("compress", GuestOp.Forward),
        ("pipeline", GuestOp.Forward),
        ("roundtrip", GuestOp.RoundTrip),
        ("open-roundtrip", GuestOp.RoundTrip),
        ("decompress-roundtrip", GuestOp.RoundTrip),
        ("pipeline-roundtrip", GuestOp.RoundTrip),
        ("hash-verify", GuestOp.HashVerify),
    ];

    public static IEnumerable<string> Names => s_names.Select(n => n.Name);

    public static bool TryParse(string? name, out GuestOp op)
    {
        foreach (var (n, o) in s_names)
        {
            if (string.Equals(n, name, StringComparison.OrdinalIgnoreCase))
            {
                op = o;
                return true;
            }
        }
        op = default;
        return false;
    }

    /// <summary>Descriptors one work item posts: a round trip is two.</summary>
    public static int OpsPerItem(GuestOp op) => op is GuestOp.RoundTrip or GuestOp.HashVerify ? 2 : 1;

    /// <summary>The canonical (first) name of an op, for summaries.</summary>
    public static string NameOf(GuestOp op) => op switch
    {
        GuestOp.Nop => "nop",
        GuestOp.Forward => "forward",
        GuestOp.RoundTrip => "roundtrip",
        GuestOp.HashVerify => "hash-verify",
        _ => op.ToString(),
    };
}
