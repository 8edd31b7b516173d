using Akka.Actor;
using Akka.Configuration;
using Akka.Serialization;

namespace Fabric.Messages.Serialization;

/// <summary>
/// Akka's Hyperion serializer (same identifier, same bytes) that creates only the types of <see cref="FabricTypeFilter"/>
/// when it reads. Akka's own allow-list (<c>allowed-types</c>) takes a fixed list of names from HOCON: it cannot name
/// the snapshots of Fabric.Control (not loaded in a client) nor the compiler's collection types, and a list kept by
/// hand beside the known types would drift from the messages. Named in hocon/serialization.conf.
/// </summary>
public sealed class FabricHyperionSerializer(ExtendedActorSystem system, Config config)
    : HyperionSerializer(system, Restricted(HyperionSerializerSettings.Create(config)))
{
    private static HyperionSerializerSettings Restricted(HyperionSerializerSettings settings) =>
        new(
            settings.PreserveObjectReferences,
            settings.VersionTolerance,
            settings.KnownTypesProvider,
            settings.PackageNameOverrides,
            settings.Surrogates,
            disallowUnsafeType: true,
            typeFilter: FabricTypeFilter.Instance);
}
