using Image = Fabric.Node.Vm.GuestImage;

namespace Fabric.Dataplane.Tests.Vhost;

/// <summary>The test guest (kernel + initramfs) built by scripts/guest-image.sh into the repo's data/guest (git-ignored), once per run.</summary>
internal static class GuestImage
{
    private static readonly Lazy<(string Kernel, string Initrd)> s_image = new(Build);

    public static (string Kernel, string Initrd) Get() => s_image.Value;

    public static string RepoRoot() =>
        Image.RepoRoot(AppContext.BaseDirectory) ?? throw new InvalidOperationException("Fabric.sln not found above " + AppContext.BaseDirectory);

    private static (string, string) Build()
    {
        var root = RepoRoot();
        var (image, error) = Image.Build(Path.Combine(root, "data", "guest"), Path.Combine(root, "scripts", "guest-image.sh"));
        return image is null ? throw new InvalidOperationException(error) : (image.Kernel, image.Initrd);
    }
}
