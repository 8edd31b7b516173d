using Xunit;

namespace Fabric.Control.Tests.Support;

/// <summary>One fabric node shared by the tests of a class (each test uses its own ids).</summary>
public sealed class NodeFixture : IAsyncLifetime
{
    public TestNode Node { get; private set; } = null!;

    public async Task InitializeAsync() => Node = await TestNode.StartAsync();

    public Task DisposeAsync() => Node.DisposeAndDeleteAsync();
}
