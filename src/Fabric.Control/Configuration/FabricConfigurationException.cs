namespace Fabric.Control.Configuration;

/// <summary>A setting or the environment keeps the node from starting; the message says what to fix.</summary>
public sealed class FabricConfigurationException(string message, Exception? inner = null) : Exception(message, inner);
