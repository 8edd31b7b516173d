using Akka.Actor;
using Fabric.Security;

namespace Fabric.Vim.Client;

/// <summary>Parses contact points: <c>host:port</c> or <c>akka.tcp://fabric@host:port</c>, comma separated.</summary>
public static class ContactPoints
{
    public const string DefaultContact = "127.0.0.1:4053";

    /// <summary>
    /// The receptionists at <paramref name="contacts"/>, addressed with the scheme this client speaks: <c>akka.ssl.tcp</c>
    /// with <paramref name="tls"/>, else <c>akka.tcp</c> (either is accepted in <paramref name="contacts"/>).
    /// </summary>
    public static IReadOnlyList<ActorPath> Parse(string contacts, bool tls = false)
    {
        var paths = new List<ActorPath>();
        foreach (var raw in (contacts ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var address = raw.Contains("://", StringComparison.Ordinal) ? raw : $"akka.tcp://fabric@{raw}";
            if (!Uri.TryCreate(address, UriKind.Absolute, out var uri) || uri.Scheme is not (ClusterTls.PlainScheme or ClusterTls.Scheme) || uri.UserInfo != "fabric"
                || string.IsNullOrEmpty(uri.Host) || uri.Port is <= 0 or > 65535 || uri.AbsolutePath is not ("" or "/"))
            {
                throw new ContactPointException($"'{raw}' is not a contact point; use host:port (e.g. {DefaultContact}) or akka.tcp://fabric@host:port");
            }

            paths.Add(ActorPath.Parse($"{(tls ? ClusterTls.Scheme : ClusterTls.PlainScheme)}://fabric@{uri.Host}:{uri.Port}/system/receptionist"));
        }

        if (paths.Count == 0)
        {
            throw new ContactPointException($"no contact point given; use host:port (e.g. {DefaultContact})");
        }

        return paths;
    }
}
