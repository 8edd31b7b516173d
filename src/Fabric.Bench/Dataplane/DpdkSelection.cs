namespace Fabric.Bench.Dataplane;

/// <summary>
/// Which rows the DPDK sections run (<c>--sizes</c>, <c>--drivers</c>; all by default): a quick back-to-back comparison
/// of one driver at one size takes seconds instead of minutes. The deflate rows (16 KiB) run when 16384 is a size.
/// </summary>
internal sealed record DpdkSelection(IReadOnlyList<int> Sizes, IReadOnlyList<string>? Drivers)
{
    public static readonly int[] AllSizes = [64, 1024, 16 * 1024];

    public static readonly string[] AllDrivers = ["dotnet", "crypto_aesni_gcm", "crypto_aesni_mb", "crypto_openssl", "compress_isal", "compress_zlib"];

    public static readonly DpdkSelection All = new(AllSizes, null);

    public bool Runs(string driver) => Drivers is null || Drivers.Contains(driver);

    public bool RunsDeflate => Sizes.Contains(16 * 1024);

    public (string Vdev, string Pmd)[] Pick((string Vdev, string Pmd)[] pmds) => [.. pmds.Where(p => Runs(p.Pmd))];

    /// <summary>The selection, or why the options do not make one (sizes and drivers not among those the bench has).</summary>
    public static DpdkSelection? Parse(int[]? sizes, string[]? drivers, out string? error)
    {
        error = null;
        var pickedSizes = sizes is { Length: > 0 } ? sizes.Distinct().Order().ToArray() : AllSizes;
        if (pickedSizes.FirstOrDefault(s => !AllSizes.Contains(s)) is var wrong and not 0)
        {
            error = $"--sizes: {wrong} is not one of {string.Join(", ", AllSizes)}";
            return null;
        }
        var pickedDrivers = drivers is { Length: > 0 } ? drivers.SelectMany(d => d.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).Distinct().ToArray() : null;
        if (pickedDrivers?.FirstOrDefault(d => !AllDrivers.Contains(d)) is { } unknown)
        {
            error = $"--drivers: '{unknown}' is not one of {string.Join(", ", AllDrivers)}";
            return null;
        }
        return new DpdkSelection(pickedSizes, pickedDrivers);
    }
}
