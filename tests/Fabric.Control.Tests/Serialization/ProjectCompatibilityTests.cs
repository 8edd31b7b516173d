using Akka.Actor;
using Akka.Configuration;
using Fabric.Control.Attachments;
using Fabric.Control.Configuration;
using Fabric.Control.Profiles;
using Fabric.Messages;
using Fabric.Messages.Attachments;
using Fabric.Messages.Profiles;
using Xunit;

namespace Fabric.Control.Tests.Serialization;

/// <summary>
/// Journals written before requests and profiles had a project (issue 17.6) still recover. Hyperion reads a known type's
/// fields by position (a field added to an event misreads every older row: it was tried), so the project is an event of
/// its own after the create, and the creates are unchanged: the bytes below are what this fabric wrote for the sample of
/// each (<see cref="SerializationTests"/>) before projects came.
/// </summary>
public sealed class ProjectCompatibilityTests : IDisposable
{
    private static readonly Dictionary<Type, string> Before = new()
    {
        [typeof(AttachmentCreated)] = "/iAABwJz+zgAAABGYWJyaWMuTWVzc2FnZXMuUHJvZmlsZXMuUHJvZmlsZUdyb3VwW10sIEZhYnJpYy5NZXNzYWdlcwABAAAA/g8ABwJzCAcAAAAHAnMHAnMHAnM=",
        [typeof(ProfileCreated)] = "/hMA+zgAAABGYWJyaWMuTWVzc2FnZXMuUHJvZmlsZXMuUHJvZmlsZUdyb3VwW10sIEZhYnJpYy5NZXNzYWdlcwABAAAA/g8ABwJzCAcAAAAHAnMHAnM=",
    };

    private readonly ActorSystem _system = ActorSystem.Create("project-compat",
        ConfigurationFactory.ParseString(File.ReadAllText(Path.Combine(FabricConfig.HoconDirectory, "serialization.conf"))));

    public void Dispose() => _system.Terminate().Wait(TimeSpan.FromSeconds(10));

    private T Read<T>()
    {
        var serializer = _system.Serialization.FindSerializerForType(typeof(T));
        return (T)serializer.FromBinary(Convert.FromBase64String(Before[typeof(T)]), typeof(T));
    }

    private T RoundTrip<T>(T value)
        where T : notnull
    {
        var serializer = _system.Serialization.FindSerializerFor(value);
        return (T)serializer.FromBinary(serializer.ToBinary(value), typeof(T));
    }

    [Fact]
    public void Creates_journaled_before_projects_recover_an_entity_without_a_project()
    {
        var created = Read<AttachmentCreated>();
        Assert.Equal(("s", "s", "s", "s"), (created.AttachmentId, created.VmId, created.Profile, created.RequestId));
        Assert.Equal([new ProfileGroup("s", 7)], created.Groups);
        Assert.Null(AttachmentState.Empty("s").Apply(created).ToView().Project);

        var profile = Read<ProfileCreated>();
        Assert.Equal(("s", "s"), (profile.Name, profile.RequestId));
        Assert.Equal([new ProfileGroup("s", 7)], profile.Groups);
        var state = ProfileState.Empty("s").Apply(profile);
        Assert.True(state.Exists);
        Assert.Null(state.ToView().Project);
    }

    [Fact]
    public void A_create_with_a_project_journals_the_create_then_the_project_and_recovers_both()
    {
        var attachment = AttachmentState.Empty("a").Decide(new CreateAttachment("a", "vm", "p", "r", "project-a"), new ProfileView("p", [new ProfileGroup("sha256", 1)], true));
        Assert.Collection(attachment.Events, e => Assert.IsType<AttachmentCreated>(e), e => Assert.Equal("project-a", Assert.IsType<AttachmentProjectSet>(e).Project));
        var recovered = attachment.Events.Select(e => (IFabricEvent)RoundTrip((object)e)).Aggregate(AttachmentState.Empty("a"), (s, e) => s.Apply(e));
        Assert.Equal("project-a", recovered.ToView().Project);

        var profile = ProfileState.Empty("p").Decide(new CreateProfile("p", [new ProfileGroup("sha256", 1)], "r", "project-b"));
        Assert.Collection(profile.Events, e => Assert.IsType<ProfileCreated>(e), e => Assert.Equal("project-b", Assert.IsType<ProfileProjectSet>(e).Project));
        var made = profile.Events.Select(e => (IFabricEvent)RoundTrip((object)e)).Aggregate(ProfileState.Empty("p"), (s, e) => s.Apply(e));
        Assert.Equal("project-b", made.ToView().Project);
        Assert.Null(made.Apply(new ProfileDeleted("p", "d")).ToView().Project);
    }

    [Fact]
    public void A_create_without_a_project_journals_only_the_create_and_a_project_too_long_is_refused()
    {
        Assert.Single(ProfileState.Empty("p").Decide(new CreateProfile("p", [new ProfileGroup("sha256", 1)], "r")).Events);
        var refused = ProfileState.Empty("p").Decide(new CreateProfile("p", [new ProfileGroup("sha256", 1)], "r", new string('x', 256)));
        Assert.NotNull(refused.Rejection);
        Assert.NotNull(AttachmentState.Empty("a").Validate(new CreateAttachment("a", "vm", "p", "r", new string('x', 256))).Rejection);
    }
}
