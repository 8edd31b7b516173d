global using Xunit;

// Each test runs a busy-polling AC worker and a spinning guest; on a 2-core machine tests side by side
// would only fight for the cores and make timing-based checks flaky.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
