namespace Fabric.Node.Tests.Hio;

/// <summary>
/// A sysfs tree in a temporary folder: a copy of one of the committed fixture trees, with its
/// <c>driver.symlink</c> files turned into real <c>driver</c> symlinks (see Fixtures/README.md), or a
/// scratch tree the test fills itself. Deleted on dispose.
/// </summary>
internal sealed class SysfsFixture : IDisposable
{
    private const string SymlinkSuffix = ".symlink";

    private SysfsFixture(string root)
    {
        Root = root;
    }

    public string Root { get; }

    public string DevicesDirectory => Path.Combine(Root, "bus", "pci", "devices");

    /// <summary>A copy of Fixtures/<paramref name="name"/> from the test output.</summary>
    public static SysfsFixture Materialize(string name)
    {
        var source = Path.Combine(AppContext.BaseDirectory, "Fixtures", name);
        if (!Directory.Exists(source))
        {
            throw new DirectoryNotFoundException($"fixture tree {source} is not in the test output");
        }
        var fixture = new SysfsFixture(NewTemporaryRoot());
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(source, file);
            var target = Path.Combine(fixture.Root, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            if (Path.GetFileName(file) == ".keep")
            {
                continue;
            }
            if (file.EndsWith(SymlinkSuffix, StringComparison.Ordinal))
            {
                File.CreateSymbolicLink(target[..^SymlinkSuffix.Length], File.ReadAllText(file).Trim());
                continue;
            }
            File.Copy(file, target);
        }
        return fixture;
    }

    /// <summary>An empty bus/pci/devices folder to add devices to.</summary>
    public static SysfsFixture Scratch()
    {
        var fixture = new SysfsFixture(NewTemporaryRoot());
        Directory.CreateDirectory(fixture.DevicesDirectory);
        return fixture;
    }

    /// <summary>Adds a PCI function the way sysfs shows it; a null attribute is left out.</summary>
    public void AddDevice(string address, string? vendor, string? device, string? pciClass, string? numaNode = "-1", string? driver = null)
    {
        var directory = Path.Combine(DevicesDirectory, address);
        Directory.CreateDirectory(directory);
        WriteAttribute(directory, "vendor", vendor);
        WriteAttribute(directory, "device", device);
        WriteAttribute(directory, "class", pciClass);
        WriteAttribute(directory, "numa_node", numaNode);
        if (driver is not null)
        {
            File.CreateSymbolicLink(Path.Combine(directory, "driver"), $"../../../bus/pci/drivers/{driver}");
        }
    }

    public void Dispose()
    {
        try
        {
            // Symlinks are removed, not followed, by a recursive delete.
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temporary folder is no reason to fail a test.
        }
    }

    private static void WriteAttribute(string directory, string name, string? value)
    {
        if (value is not null)
        {
            File.WriteAllText(Path.Combine(directory, name), value + "\n");
        }
    }

    private static string NewTemporaryRoot()
    {
        var root = Path.Combine(Path.GetTempPath(), "fabric-hio-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(root);
        return root;
    }
}
