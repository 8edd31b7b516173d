namespace Fabric.Api.Auth;

/// <summary>
/// Who made a request, as Keystone validated its token: the user, the project the token is scoped to, its roles, and the
/// roles of a service token sent beside it (<c>X-Service-Token</c>, as Nova sends one with a user's token).
/// </summary>
public sealed record Caller(string? UserId, string? ProjectId, IReadOnlySet<string> Roles, IReadOnlySet<string> ServiceRoles, bool Authenticated)
{
    private const string ItemKey = "fabric-api:caller";

    private static readonly IReadOnlySet<string> NoRoles = new HashSet<string>();

    /// <summary>With <c>--auth none</c>: no identity, every action allowed, nothing scoped.</summary>
    public static Caller Unauthenticated { get; } = new(null, null, NoRoles, NoRoles, false);

    /// <summary>Cyborg's <c>admin_api</c>: <c>role:admin or role:administrator</c>; without authentication, everyone.</summary>
    public bool Admin => !Authenticated || Roles.Contains("admin") || Roles.Contains("administrator");

    /// <summary>The service persona (Nova): role <c>service</c> on the user's token or on the service token.</summary>
    public bool Service => Roles.Contains("service") || ServiceRoles.Contains("service");

    /// <summary>Sees every project's objects.</summary>
    public bool AllProjects => Admin || Service;

    public bool Member => Roles.Contains("member") && ProjectId is not null;

    public bool Reader => (Roles.Contains("reader") || Roles.Contains("member")) && ProjectId is not null;

    public bool Manager => Roles.Contains("manager") && ProjectId is not null;

    /// <summary>Whether an object of <paramref name="project"/> exists for this caller (another project's answers 404).</summary>
    public bool Sees(string? project) => AllProjects || (project is not null && project == ProjectId);

    /// <summary>The project recorded on what this caller makes: its token's project; none without authentication.</summary>
    public string? OwnerProject => Authenticated ? ProjectId : null;

    public static Caller Of(HttpContext context) => context.Items.TryGetValue(ItemKey, out var caller) && caller is Caller known ? known : Unauthenticated;

    public void AttachTo(HttpContext context) => context.Items[ItemKey] = this;
}
