using System.Runtime.Versioning;

// Channels live in /dev/shm and are guarded by Unix file modes: these tests are for Linux hosts.
[assembly: SupportedOSPlatform("linux")]
