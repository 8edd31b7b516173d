using Fabric.Messages.Serialization;
using Xunit;

namespace Fabric.Control.Tests.Serialization;

/// <summary>
/// Hyperion writes a known type as its index in <see cref="FabricKnownTypes.All"/>: a type moved or removed there
/// makes old journal rows and peers of the previous version read the wrong type. known-types.txt pins the order;
/// types appended after its last line pass (append them to the file too, to pin them).
/// </summary>
public sealed class KnownTypesOrderTests
{
    [Fact]
    public void Known_types_keep_their_pinned_positions_and_only_grow_at_the_end()
    {
        var pinned = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "Serialization", "known-types.txt"))
            .Where(line => line.Length > 0 && !line.StartsWith('#'))
            .ToArray();
        var current = FabricKnownTypes.All.Select(t => t.FullName!).ToArray();

        Assert.True(pinned.Length > 0, "known-types.txt is empty");
        for (var i = 0; i < pinned.Length; i++)
        {
            var now = i < current.Length ? current[i] : "(nothing: the list is shorter)";
            Assert.True(pinned[i] == now,
                $"FabricKnownTypes.All[{i}] is {now}, pinned as {pinned[i]}: known types are append-only (old journal rows hold the index)");
        }
    }
}
