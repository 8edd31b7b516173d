using System.Net;

namespace Fabric.Api.Auth;

/// <summary>How fabric-api authenticates callers, from the <c>Auth</c> configuration section (<c>--auth ...</c>, <c>Auth__*</c> environment).</summary>
public sealed class AuthOptions
{
    public const string Section = "Auth";

    /// <summary><c>none</c> (every caller may do everything: loopback development) or <c>keystone</c>.</summary>
    public string Mode { get; set; } = "none";

    /// <summary>Serve <c>--auth none</c> on an address other than loopback (a deliberate choice, e.g. behind an authenticating proxy).</summary>
    public bool AllowNoneAnywhere { get; set; }

    /// <summary>Keystone's v3 endpoint, e.g. <c>http://keystone:5000/v3</c>.</summary>
    public string? KeystoneUrl { get; set; }

    /// <summary>The URI told to unauthenticated callers (<c>WWW-Authenticate: Keystone uri=...</c>); default <see cref="KeystoneUrl"/>.</summary>
    public string? PublicKeystoneUrl { get; set; }

    public string? Username { get; set; }

    public string? Password { get; set; }

    public string? Project { get; set; }

    public string UserDomain { get; set; } = "Default";

    public string ProjectDomain { get; set; } = "Default";

    /// <summary>How long a validated token is trusted without asking Keystone again (capped by its expiry).</summary>
    public TimeSpan TokenCacheTime { get; set; } = TimeSpan.FromMinutes(5);

    public int TokenCacheSize { get; set; } = 10_000;

    /// <summary>One call to Keystone; a Keystone that does not answer within it is a 503, not a hang.</summary>
    public TimeSpan KeystoneTimeout { get; set; } = TimeSpan.FromSeconds(5);

    public bool Keystone => Mode == "keystone";

    /// <summary>The password: the option, else <c>FABRIC_KEYSTONE_PASSWORD</c> (kept off the command line).</summary>
    public string? EffectivePassword => Password is { Length: > 0 } given ? given : Environment.GetEnvironmentVariable("FABRIC_KEYSTONE_PASSWORD");

    /// <summary>Keystone's v3 base without a trailing slash.</summary>
    public Uri KeystoneBase => new(KeystoneUrl!.TrimEnd('/') + "/");

    /// <summary>Checks the settings against the addresses fabric-api listens on; a problem throws <see cref="FormatException"/> saying it in one line.</summary>
    public void Validate(string urls)
    {
        if (Mode is not ("none" or "keystone"))
        {
            throw new FormatException($"--auth '{Mode}' is not known: none or keystone");
        }

        if (!Keystone)
        {
            if (!AllowNoneAnywhere && NonLoopback(urls) is { } exposed)
            {
                throw new FormatException($"--auth none on {exposed}, which is not a loopback address: anyone who reaches it may do anything; "
                    + "use --auth keystone, listen on 127.0.0.1, or add --auth-none-anywhere");
            }

            return;
        }

        if (!Uri.TryCreate(KeystoneUrl ?? "", UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
        {
            throw new FormatException($"--keystone-url '{KeystoneUrl}' is not an absolute http(s) URL, e.g. http://keystone:5000/v3");
        }

        if (string.IsNullOrEmpty(Username) || string.IsNullOrEmpty(EffectivePassword) || string.IsNullOrEmpty(Project))
        {
            throw new FormatException("--auth keystone needs the service credential: --keystone-user, --keystone-password (or FABRIC_KEYSTONE_PASSWORD) and --keystone-project");
        }

        if (TokenCacheTime < TimeSpan.Zero || TokenCacheSize < 0 || KeystoneTimeout <= TimeSpan.Zero)
        {
            throw new FormatException("--token-cache-time and --token-cache-size must not be negative, --keystone-timeout must be positive");
        }
    }

    /// <summary>The first listening URL that is not on a loopback address, or null.</summary>
    public static string? NonLoopback(string urls)
    {
        foreach (var url in urls.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            // Kestrel's wildcards ("*", "+") do not parse as a Uri host: they are every address. A URL that does not parse is
            // left to Kestrel, which refuses it (exit code 3).
            string host;
            if (url.Contains("://*", StringComparison.Ordinal) || url.Contains("://+", StringComparison.Ordinal))
            {
                host = "*";
            }
            else if (Uri.TryCreate(url, UriKind.Absolute, out var uri))
            {
                host = uri.Host.Trim('[', ']');
            }
            else
            {
                continue;
            }

            var loopback = host == "localhost" || (IPAddress.TryParse(host, out var address) && IPAddress.IsLoopback(address));
            if (!loopback)
            {
                return url;
            }
        }

        return null;
    }

    /// <summary>The command-line switches and the settings they set.</summary>
    public static IReadOnlyDictionary<string, string> Switches { get; } = new Dictionary<string, string>
    {
        ["--auth"] = $"{Section}:{nameof(Mode)}",
        ["--auth-none-anywhere"] = $"{Section}:{nameof(AllowNoneAnywhere)}",
        ["--keystone-url"] = $"{Section}:{nameof(KeystoneUrl)}",
        ["--keystone-public-url"] = $"{Section}:{nameof(PublicKeystoneUrl)}",
        ["--keystone-user"] = $"{Section}:{nameof(Username)}",
        ["--keystone-password"] = $"{Section}:{nameof(Password)}",
        ["--keystone-project"] = $"{Section}:{nameof(Project)}",
        ["--keystone-user-domain"] = $"{Section}:{nameof(UserDomain)}",
        ["--keystone-project-domain"] = $"{Section}:{nameof(ProjectDomain)}",
        ["--token-cache-time"] = $"{Section}:{nameof(TokenCacheTime)}",
        ["--token-cache-size"] = $"{Section}:{nameof(TokenCacheSize)}",
        ["--keystone-timeout"] = $"{Section}:{nameof(KeystoneTimeout)}",
    };

    /// <summary>
    /// Switches that are flags: the command line gives them no value, which the configuration's parser would not take,
    /// so each is given "true" before parsing.
    /// </summary>
    public static string[] WithFlagValues(string[] args) =>
        args.SelectMany(a => a == "--auth-none-anywhere" ? [a, "true"] : new[] { a }).ToArray();

    public const string Usage = """
          --auth none|keystone        authenticate callers with Keystone tokens (X-Auth-Token), or not at all (default none,
                                      refused on a non-loopback --urls unless --auth-none-anywhere); env Auth__Mode
          --keystone-url URL          Keystone's v3 endpoint, e.g. http://keystone:5000/v3; env Auth__KeystoneUrl
          --keystone-public-url URL   the URI named in WWW-Authenticate to unauthenticated callers (default --keystone-url)
          --keystone-user NAME        fabric-api's service user (validates tokens; needs role service); env Auth__Username
          --keystone-password PW      its password; env FABRIC_KEYSTONE_PASSWORD or Auth__Password
          --keystone-project NAME     its project (e.g. service); env Auth__Project
          --keystone-user-domain D    the user's domain name (default Default); --keystone-project-domain D the project's
          --token-cache-time T        how long a validated token is trusted (default 00:05:00, never past its expiry)
          --token-cache-size N        at most this many cached tokens (default 10000)
          --keystone-timeout T        one call to Keystone (default 00:00:05): a Keystone that does not answer is a 503
          a bad auth option, or --auth none on a non-loopback address without --auth-none-anywhere: exit code 2
        """;
}
