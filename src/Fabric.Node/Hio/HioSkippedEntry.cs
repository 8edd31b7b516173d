namespace Fabric.Node.Hio;

/// <summary>A PCI entry hio could not classify, and why: a scan never fails for one bad entry.</summary>
/// <param name="Entry">The entry's name under bus/pci/devices, normally its PCI address.</param>
/// <param name="Reason">What was wrong with it, for people.</param>
public sealed record HioSkippedEntry(string Entry, string Reason);
