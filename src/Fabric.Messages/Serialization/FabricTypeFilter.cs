using System.Collections.Immutable;
using System.Reflection;
using System.Text.RegularExpressions;
using Hyperion;

namespace Fabric.Messages.Serialization;

/// <summary>
/// The types Hyperion may create when it reads a message from the wire or the journal: Fabric's messages (every
/// <see cref="IFabricMessage"/> of a loaded Fabric assembly, snapshots of Fabric.Control's entities included) and what
/// their fields hold, found by walking the fields: Fabric's records and enums, primitives, and the collections a field
/// declares (a read-only list may arrive as an array, a list, an immutable list or array, or the compiler's read-only
/// wrapper of a collection expression). Nothing else: not a type named by whoever sent the bytes (Hyperion's own deny
/// list knows about 25 gadgets, this knows the few hundred types Fabric sends), and no collection of <c>object</c> that
/// no Fabric field declares (<c>Dictionary&lt;string, object&gt;</c> carried anything). A value in a field of type
/// <c>object</c> (a request log's replies) is checked by its own type, like any other.
/// Names are compared as Hyperion writes them (<c>GetShortAssemblyQualifiedName</c>: no version, culture or key).
/// Hyperion asks once per type name and process (it caches the types it loaded, refused names too).
/// </summary>
public sealed partial class FabricTypeFilter : ITypeFilter
{
    public static readonly FabricTypeFilter Instance = new();

    private static readonly string CoreAssemblySuffix = typeof(int).AssemblyQualifiedName![typeof(int).AssemblyQualifiedName!.IndexOf(", Version", StringComparison.Ordinal)..];

    private static readonly HashSet<Type> Scalars =
    [
        typeof(string), typeof(bool), typeof(byte), typeof(sbyte), typeof(char), typeof(short), typeof(ushort), typeof(int), typeof(uint),
        typeof(long), typeof(ulong), typeof(float), typeof(double), typeof(decimal), typeof(DateTime), typeof(DateTimeOffset), typeof(TimeSpan),
        typeof(Guid),
    ];

    // The collections a field may declare as such, and the concrete ones an interface-typed field may hold.
    private static readonly HashSet<Type> Collections =
    [
        typeof(List<>), typeof(Dictionary<,>), typeof(HashSet<>), typeof(KeyValuePair<,>), typeof(ImmutableArray<>), typeof(ImmutableList<>),
        typeof(ImmutableDictionary<,>), typeof(ImmutableSortedDictionary<,>), typeof(ImmutableHashSet<>), typeof(ImmutableSortedSet<>),
        typeof(ImmutableQueue<>),
    ];

    private static readonly HashSet<Type> Sequences = [typeof(IEnumerable<>), typeof(IReadOnlyCollection<>), typeof(IReadOnlyList<>), typeof(ICollection<>), typeof(IList<>)];
    private static readonly HashSet<Type> Maps = [typeof(IReadOnlyDictionary<,>), typeof(IDictionary<,>)];
    private static readonly HashSet<Type> Sets = [typeof(IReadOnlySet<>), typeof(ISet<>)];

    private readonly object _gate = new();
    private volatile ImmutableHashSet<string> _allowed = [];
    private int _fabricAssemblies = -1;

    private FabricTypeFilter()
    {
    }

    /// <summary>The allowed names, as Hyperion writes them.</summary>
    public IReadOnlySet<string> Allowed
    {
        get
        {
            Refresh();
            return _allowed;
        }
    }

    public bool IsAllowed(string typeName)
    {
        // Hyperion asks with the full assembly-qualified name of the type it is about to load; compared without versions.
        var name = Short(typeName);
        if (_allowed.Contains(name))
        {
            return true;
        }

        // A Fabric assembly loaded since (a client library, a test) brings its messages and its compiler-made collections.
        // Look again whatever Refresh says: another thread may have refreshed for the same assembly meanwhile (it then
        // returns false here although the set is new), which refused Fabric's own events under load.
        Refresh();
        return _allowed.Contains(name);
    }

    /// <summary>The name Hyperion writes for <paramref name="type"/>.</summary>
    public static string NameOf(Type type) => Short(type.AssemblyQualifiedName!);

    private static string Short(string assemblyQualifiedName) => VersionParts().Replace(assemblyQualifiedName.Replace(CoreAssemblySuffix, ",%core%"), "");

    private bool Refresh()
    {
        lock (_gate)
        {
            var assemblies = FabricAssemblies();
            if (assemblies.Length == _fabricAssemblies)
            {
                return false;
            }

            _allowed = new Walk(assemblies).Run().Select(NameOf).ToImmutableHashSet();
            _fabricAssemblies = assemblies.Length;
            return true;
        }
    }

    private static Assembly[] FabricAssemblies() =>
        AppDomain.CurrentDomain.GetAssemblies().Where(a => IsFabric(a.GetName().Name)).ToArray();

    private static bool IsFabric(string? assembly) =>
        assembly is not null && (assembly.StartsWith("Fabric.", StringComparison.Ordinal) || assembly.StartsWith("fabric-", StringComparison.Ordinal));

    [GeneratedRegex(@"(, Version=([\d\.]+))?(, Culture=[^,\] \t]+)?(, PublicKeyToken=(null|[\da-f]+))?", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex VersionParts();

    /// <summary>From every message type, through the types of their fields.</summary>
    private sealed class Walk(Assembly[] assemblies)
    {
        private readonly HashSet<Type> _seen = [];
        private readonly HashSet<Type> _allowed = [];

        // The compiler's read-only wrappers of collection expressions (<>z__ReadOnlyArray<T>, ...), one set per assembly.
        private readonly Type[] _synthesized = assemblies
            .SelectMany(Types)
            .Where(t => t is { IsGenericTypeDefinition: true } && t.Name.StartsWith("<>z__ReadOnly", StringComparison.Ordinal) && t.GetGenericArguments().Length == 1)
            .ToArray();

        private readonly Type[] _classes = assemblies
            .SelectMany(Types)
            .Where(t => t is { IsClass: true, ContainsGenericParameters: false })
            .ToArray();

        public HashSet<Type> Run()
        {
            foreach (var message in assemblies.SelectMany(Types).Where(t => typeof(IFabricMessage).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false, ContainsGenericParameters: false }))
            {
                Visit(message);
            }

            return _allowed;
        }

        private void Visit(Type type)
        {
            if (!_seen.Add(type) || type == typeof(object))
            {
                return;
            }

            if (type.IsArray)
            {
                _allowed.Add(type);
                Visit(type.GetElementType()!);
            }
            else if (Scalars.Contains(type) || type.IsEnum)
            {
                _allowed.Add(type);
            }
            else if (Nullable.GetUnderlyingType(type) is { } underlying)
            {
                _allowed.Add(type);
                Visit(underlying);
            }
            else if (type is { IsInterface: true, IsGenericType: true })
            {
                VisitHolders(type.GetGenericTypeDefinition(), type.GetGenericArguments());
            }
            else if (type.IsGenericType && Collections.Contains(type.GetGenericTypeDefinition()))
            {
                _allowed.Add(type);
                foreach (var argument in type.GetGenericArguments())
                {
                    Visit(argument);
                }

                if (type.GetGenericTypeDefinition() is var definition && (definition == typeof(Dictionary<,>) || definition == typeof(ImmutableDictionary<,>) || definition == typeof(ImmutableSortedDictionary<,>)))
                {
                    // Hyperion writes a dictionary's entries as DictionaryEntry (key and value each checked by their own type).
                    Visit(typeof(KeyValuePair<,>).MakeGenericType(type.GetGenericArguments()));
                    _allowed.Add(typeof(System.Collections.DictionaryEntry));
                }
            }
            else if (IsFabric(type.Assembly.GetName().Name))
            {
                // A field of a Fabric type may hold any Fabric class derived from it (a ConstrainedGroup where a
                // ProfileGroup is declared): new data travels in derived types, as a known type's fields are positional.
                foreach (var derived in _classes.Where(c => c != type && type.IsAssignableFrom(c)))
                {
                    Visit(derived);
                }

                if (type.IsInterface || type.IsAbstract)
                {
                    return;
                }

                _allowed.Add(type);
                for (var t = type; t is not null && t != typeof(object); t = t.BaseType)
                {
                    foreach (var field in t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
                    {
                        Visit(field.FieldType);
                    }
                }
            }
        }

        /// <summary>What a field of an interface type may hold: the usual collections of its elements.</summary>
        private void VisitHolders(Type definition, Type[] arguments)
        {
            if (Sequences.Contains(definition))
            {
                var element = arguments[0];
                Visit(element.MakeArrayType());
                Visit(typeof(List<>).MakeGenericType(element));
                Visit(typeof(ImmutableList<>).MakeGenericType(element));
                Visit(typeof(ImmutableArray<>).MakeGenericType(element));
                foreach (var synthesized in _synthesized)
                {
                    _allowed.Add(synthesized.MakeGenericType(element));
                }
            }
            else if (Maps.Contains(definition))
            {
                Visit(typeof(Dictionary<,>).MakeGenericType(arguments));
                Visit(typeof(ImmutableDictionary<,>).MakeGenericType(arguments));
                Visit(typeof(ImmutableSortedDictionary<,>).MakeGenericType(arguments));
            }
            else if (Sets.Contains(definition))
            {
                Visit(typeof(HashSet<>).MakeGenericType(arguments));
                Visit(typeof(ImmutableHashSet<>).MakeGenericType(arguments));
                Visit(typeof(ImmutableSortedSet<>).MakeGenericType(arguments));
            }
        }

        private static IEnumerable<Type> Types(Assembly assembly)
        {
            try
            {
                return assembly.GetTypes();
            }
            catch (ReflectionTypeLoadException ex)
            {
                return ex.Types.OfType<Type>();
            }
        }
    }
}
