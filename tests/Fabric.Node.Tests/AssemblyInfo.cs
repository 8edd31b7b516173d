using System.Runtime.Versioning;

// Channels live in /dev/shm and are guarded by Unix file modes: these tests are for Linux hosts.
[assembly: SupportedOSPlatform("linux")]

// These tests run whole fabrics with busy-polling AC workers and guest threads; on a 2-core machine, running
// them side by side starves the actor systems and turns waits into timeouts. One at a time.
[assembly: Xunit.CollectionBehavior(DisableTestParallelization = true)]
