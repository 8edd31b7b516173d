using System.Runtime.Serialization;
using System.Text;
using Akka.Actor;
using Akka.Configuration;
using Akka.Serialization;
using Newtonsoft.Json;

namespace Fabric.Messages.Serialization;

/// <summary>
/// Akka's JSON serializer (identifier 1, the same bytes) that reads only types it may create. Akka binds every object
/// without a serializer of its own to JSON with <c>TypeNameHandling.All</c>: a peer could send bytes under identifier 1
/// naming any type in <c>$type</c> and Json.NET would create it and set its properties (the classic gadget chains).
/// Fabric's messages go through Hyperion (<see cref="FabricHyperionSerializer"/>); JSON is what is left, so every
/// <c>$type</c> in the document, at any depth, must name a type of <see cref="FabricTypeFilter"/> or of Akka's own
/// assemblies before Json.NET sees the bytes. Named in hocon/serialization.conf.
/// </summary>
public sealed class FabricJsonSerializer : Serializer
{
    private readonly NewtonSoftJsonSerializer _json;

    public FabricJsonSerializer(ExtendedActorSystem system)
        : base(system)
    {
        _json = new NewtonSoftJsonSerializer(system);
    }

    public FabricJsonSerializer(ExtendedActorSystem system, Config config)
        : base(system)
    {
        _json = new NewtonSoftJsonSerializer(system, config);
    }

    public override int Identifier => _json.Identifier;

    public override bool IncludeManifest => false;

    public override byte[] ToBinary(object obj) => _json.ToBinary(obj);

    public override object FromBinary(byte[] bytes, Type type)
    {
        var names = TypeNames(bytes);
        foreach (var name in names)
        {
            if (!IsAllowed(name))
            {
                throw new SerializationException($"refused to read type [{name}] from JSON (in a [{names[0]}]): not a Fabric message or a type one holds");
            }
        }

        return _json.FromBinary(bytes, type);
    }

    /// <summary>Whether Json.NET may create the type <paramref name="name"/> names (as it writes names: no version).</summary>
    public static bool IsAllowed(string name)
    {
        // Resolving a name loads at most an assembly; no code of the type runs.
        var type = Type.GetType(name, throwOnError: false);
        if (type is null)
        {
            return false;
        }

        var assembly = type.Assembly.GetName().Name;
        return FabricTypeFilter.Instance.IsAllowed(type.AssemblyQualifiedName!)
            || (assembly is not null && (assembly == "Akka" || assembly.StartsWith("Akka.", StringComparison.Ordinal)) && !type.IsGenericType);
    }

    /// <summary>Every <c>$type</c> value in the document, as Json.NET's reader decodes property names (escapes too).</summary>
    private static List<string> TypeNames(byte[] bytes)
    {
        var names = new List<string>();
        try
        {
            using var reader = new JsonTextReader(new StringReader(Encoding.UTF8.GetString(bytes))) { MaxDepth = 64 };
            while (reader.Read())
            {
                if (reader.TokenType == JsonToken.PropertyName && (string?)reader.Value == "$type")
                {
                    names.Add(reader.ReadAsString() ?? "");
                }
            }
        }
        catch (JsonException ex)
        {
            throw new SerializationException($"refused malformed JSON: {ex.Message}");
        }

        return names;
    }
}
