using System.Collections.Immutable;
using Fabric.Dataplane.Drivers;

namespace Fabric.Node.Compute;

/// <summary>
/// Makes the driver instance behind one queue of a device, by the device's backing: the one place a hardware
/// g-driver plugs in (<see cref="With"/>). A fault-injecting device's instances are wrapped and armed with its fault.
/// </summary>
public sealed class DriverFactory
{
    private readonly ImmutableDictionary<string, Func<DeviceSpec, string, IGDriver>> _makers;

    private DriverFactory(ImmutableDictionary<string, Func<DeviceSpec, string, IGDriver>> makers) => _makers = makers;

    /// <summary>Software devices only.</summary>
    public static DriverFactory Default { get; } = Software(DeflateDriver.DefaultSliceBytes);

    /// <summary>Software devices only, deflate compressing <paramref name="deflateSliceBytes"/> per poll (fabric.node.ac.deflate-slice-bytes).</summary>
    public static DriverFactory Software(int deflateSliceBytes) => new(ImmutableDictionary.Create<string, Func<DeviceSpec, string, IGDriver>>(StringComparer.Ordinal)
        .Add(DeviceBackings.Software, (_, chain) => GDriverCatalog.Create(chain, deflateSliceBytes: deflateSliceBytes)));

    /// <summary>This factory, also making drivers for devices of <paramref name="backing"/>.</summary>
    public DriverFactory With(string backing, Func<DeviceSpec, string, IGDriver> maker) => new(_makers.SetItem(backing, maker));

    public bool Serves(string backing) => _makers.ContainsKey(backing);

    /// <summary>A driver of <paramref name="device"/> running <paramref name="chain"/>; throws <see cref="ArgumentException"/> for a chain or backing it cannot run.</summary>
    public IGDriver Create(DeviceSpec device, string chain, FaultKind injected)
    {
        if (!_makers.TryGetValue(device.Backing, out var make))
        {
            throw new ArgumentException($"device {device.DeviceId}: no g-driver for backing '{device.Backing}' (this node runs {string.Join(", ", _makers.Keys.Order())})");
        }

        var driver = make(device, chain);
        if (!device.FaultInjecting)
        {
            return driver;
        }

        var injectable = new FaultInjectingDriver(driver);
        if (injected != FaultKind.None)
        {
            // Persistent: a reset does not repair a broken device, only a repair (a fresh driver without it) does.
            injectable.Arm(injected, -1);
        }

        return injectable;
    }
}
