namespace Fabric.Control.Configuration;

/// <summary>A configuration value is wrong; the message names the value and what is expected.</summary>
public sealed class FabricConfigurationException(string message) : Exception(message);
