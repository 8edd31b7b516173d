using System.Globalization;

namespace Fabric.Api.Http;

/// <summary>
/// The accelerator API microversion of a request (<c>OpenStack-API-Version: accelerator 2.x</c>), as Cyborg reads it: the
/// entry for service type <c>accelerator</c>, else a bare version (older clients), else 2.0; <c>latest</c> is the maximum.
/// 2.0-2.3 are Cyborg's; 2.4 is Fabric's (binding more requests to an instance that has some: hot-add).
/// </summary>
public readonly record struct Microversion(int Major, int Minor) : IComparable<Microversion>
{
    public const string Header = "OpenStack-API-Version";
    public const string MinimumHeader = "OpenStack-API-Minimum-Version";
    public const string MaximumHeader = "OpenStack-API-Maximum-Version";
    public const string ServiceType = "accelerator";

    public static Microversion Minimum { get; } = new(2, 0);

    public static Microversion Maximum { get; } = new(2, 4);

    /// <summary>Cyborg 2.1: <c>project_id</c> in a bind.</summary>
    public static Microversion ProjectId { get; } = new(2, 1);

    /// <summary>Cyborg 2.2: a device profile by name.</summary>
    public static Microversion ProfileByName { get; } = new(2, 2);

    /// <summary>Cyborg 2.3: a device's <c>status</c>.</summary>
    public static Microversion DeviceStatus { get; } = new(2, 3);

    /// <summary>Fabric 2.4: hot-add, a bind to an instance that has accelerator requests already.</summary>
    public static Microversion HotAdd { get; } = new(2, 4);

    private static readonly object Key = new();

    public int CompareTo(Microversion other) => (Major, Minor).CompareTo((other.Major, other.Minor));

    public static bool operator >=(Microversion a, Microversion b) => a.CompareTo(b) >= 0;

    public static bool operator <=(Microversion a, Microversion b) => a.CompareTo(b) <= 0;

    public static bool operator >(Microversion a, Microversion b) => a.CompareTo(b) > 0;

    public static bool operator <(Microversion a, Microversion b) => a.CompareTo(b) < 0;

    public override string ToString() => $"{Major}.{Minor}";

    public static Microversion Of(HttpContext context) => context.Items.TryGetValue(Key, out var v) && v is Microversion m ? m : Minimum;

    /// <summary>Reads the header into the request; an unreadable or unsupported version is a 406, as in Cyborg.</summary>
    public static void Negotiate(HttpContext context)
    {
        var headers = context.Response.Headers;
        headers.Vary = Header;
        headers[MinimumHeader] = Minimum.ToString();
        headers[MaximumHeader] = Maximum.ToString();
        var version = Parse(context.Request.Headers[Header].ToString());
        if (version < Minimum || version > Maximum)
        {
            throw ApiError.NotAcceptable(version.Major != Minimum.Major
                ? $"Mutually exclusive versions requested. Version {version} requested but not supported by this service. The supported version range is: [{Minimum}, {Maximum}]."
                : $"Version {version} was requested but the minor version is not supported by this service. The supported version range is: [{Minimum}, {Maximum}].");
        }

        headers[Header] = $"{ServiceType} {version}";
        context.Items[Key] = version;
    }

    public static Microversion Parse(string header)
    {
        if (string.IsNullOrWhiteSpace(header))
        {
            return Minimum;
        }

        string? text = null;
        foreach (var entry in header.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = entry.Split(' ', 2, StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 2 && parts[0].Equals(ServiceType, StringComparison.OrdinalIgnoreCase))
            {
                text = parts[1];
            }
        }

        // No accelerator entry: a bare version is taken (Cyborg does, for older clients); another service's entry is not ours.
        text ??= header.Contains(' ') ? null : header.Trim();
        if (text is null)
        {
            return Minimum;
        }

        if (text.Equals("latest", StringComparison.OrdinalIgnoreCase))
        {
            return Maximum;
        }

        var dot = text.Split('.');
        if (dot.Length == 2
            && int.TryParse(dot[0], NumberStyles.None, CultureInfo.InvariantCulture, out var major)
            && int.TryParse(dot[1], NumberStyles.None, CultureInfo.InvariantCulture, out var minor))
        {
            return new Microversion(major, minor);
        }

        throw ApiError.NotAcceptable($"Invalid value for {Header} header: '{header}'; send '{ServiceType} 2.x' ({Minimum} to {Maximum}) or 'latest'");
    }
}
