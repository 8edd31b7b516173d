using Fabric.Api.Http;

namespace Fabric.Api.Auth;

/// <summary>A policy rule of Cyborg's defaults: its name (as Cyborg's policy file names it) and who passes it.</summary>
public sealed record PolicyRule(string Name, Func<Caller, bool> Allows);

/// <summary>
/// Cyborg's default policies (cyborg/policies/*) by route: project readers read, project members and the service write
/// accelerator requests, admins make device profiles and manage devices. Which project's objects a caller sees is
/// decided where they are read (<see cref="Caller.Sees"/>): another project's object answers 404, as if it were not there.
/// </summary>
public static class Policy
{
    private static readonly PolicyRule ArqRead = new("cyborg:arq:get_all", c => c.Reader || c.Admin || c.Service);
    private static readonly PolicyRule ArqCreate = new("cyborg:arq:create", c => c.Member || c.Admin || c.Service);
    private static readonly PolicyRule ArqUpdate = new("cyborg:arq:update", c => c.Member || c.Admin || c.Service);
    private static readonly PolicyRule ArqDelete = new("cyborg:arq:delete", c => c.Member || c.Admin || c.Service);
    private static readonly PolicyRule ProfileRead = new("cyborg:device_profile:get_all", c => c.Reader || c.Admin || c.Service);
    private static readonly PolicyRule ProfileCreate = new("cyborg:device_profile:create", c => c.Admin);
    private static readonly PolicyRule ProfileDelete = new("cyborg:device_profile:delete", c => c.Admin);
    private static readonly PolicyRule DeviceRead = new("cyborg:device:get_all", c => c.Manager || c.Admin);
    private static readonly PolicyRule DeviceWrite = new("cyborg:device:disable", c => c.Admin);
    private static readonly PolicyRule DeployableRead = new("cyborg:deployable:get_all", c => c.Manager || c.Admin);
    private static readonly PolicyRule DeployableWrite = new("cyborg:deployable:program", c => c.Admin);
    private static readonly PolicyRule FabricOwn = new("fabric:admin", c => c.Admin);

    /// <summary>The rule of a request, or null for routes open to any authenticated caller (and to unknown routes, which answer 404).</summary>
    public static PolicyRule? RuleFor(string method, PathString path)
    {
        var read = HttpMethods.IsGet(method) || HttpMethods.IsHead(method);
        if (path.StartsWithSegments("/v2/accelerator_requests"))
        {
            return read ? ArqRead : HttpMethods.IsPost(method) ? ArqCreate : HttpMethods.IsDelete(method) ? ArqDelete : ArqUpdate;
        }

        if (path.StartsWithSegments("/v2/device_profiles"))
        {
            return read ? ProfileRead : HttpMethods.IsDelete(method) ? ProfileDelete : ProfileCreate;
        }

        if (path.StartsWithSegments("/v2/devices"))
        {
            return read ? DeviceRead : DeviceWrite;
        }

        if (path.StartsWithSegments("/v2/deployables"))
        {
            return read ? DeployableRead : DeployableWrite;
        }

        return path.StartsWithSegments("/fabric") ? FabricOwn : null;
    }

    /// <summary>Cyborg's refusal (PolicyNotAuthorized), answered 403.</summary>
    public static ApiError Forbidden(PolicyRule rule) => new(StatusCodes.Status403Forbidden, $"Policy doesn't allow {rule.Name} to be performed.");
}
