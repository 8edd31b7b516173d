namespace Fabric.Dataplane.Dpdk;

/// <summary>A DPDK object could not be set up (never thrown on the data path); the message says why and what to do.</summary>
public sealed class DpdkException(string message) : Exception(message);
