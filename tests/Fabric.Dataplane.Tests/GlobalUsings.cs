global using Xunit;

// Tests start busy-polling AC workers; on a 2-core machine running classes side by side would only
// make them fight for the cores.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
