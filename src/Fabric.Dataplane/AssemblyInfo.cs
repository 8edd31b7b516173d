using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("Fabric.Dataplane.Tests")]
[assembly: InternalsVisibleTo("fabric-bench")]
