namespace Fabric.Messages.Devices;

/// <summary>
/// Cyborg's "program a deployable", for Fabric's devices: choose which of the functions its host's g-driver can run the
/// device offers for placement from now on (<paramref name="Function"/>), or offer them all again (null). Sent to the
/// VIM gateway, which asks the device's node agent what the device can run and registers the device with that choice;
/// functions that attachments hold cannot be withdrawn. The choice lasts until the node agent registers the device again.
/// </summary>
public sealed record ProgramDevice(string DeviceId, string? Function, string RequestId) : IFabricCommand;
