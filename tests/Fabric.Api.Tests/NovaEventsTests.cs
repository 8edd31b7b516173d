using System.Collections.Concurrent;
using Fabric.Api.Hosting;
using Fabric.Api.Requests;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Xunit;

namespace Fabric.Api.Tests;

/// <summary>The accelerator-request-bound events as Nova's API takes them, told to a real HTTP listener standing in for Nova.</summary>
public sealed class NovaEventsTests : IAsyncLifetime
{
    private readonly LogRecorder _logs = new();
    private NovaStandIn _nova = null!;
    private ServiceProvider _services = null!;

    public async Task InitializeAsync()
    {
        _nova = await NovaStandIn.StartAsync();
        _services = new ServiceCollection().AddHttpClient().AddLogging(l => l.AddProvider(_logs)).BuildServiceProvider();
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        await _nova.DisposeAsync();
    }

    private BindNotifier Notifier() => new(_services.GetRequiredService<IHttpClientFactory>(),
        Options.Create(new ApiOptions { NovaEventsUrl = _nova.EventsUrl, NovaEventsToken = "service-token" }),
        _services.GetRequiredService<ILogger<BindNotifier>>());

    [Fact]
    public async Task Events_carry_compute_microversion_2_82_a_length_and_the_token_and_Novas_answer_is_logged()
    {
        var instance = Guid.NewGuid().ToString();
        await Notifier().Notify(instance, [("arq-1", true), ("arq-2", false)]);

        var post = Assert.Single(_nova.Posts);
        Assert.Equal(200, post.Answer);
        Assert.Equal(("compute 2.82", "2.82", "service-token"), (post.Microversion, post.NovaMicroversion, post.Token));
        Assert.True(post.ContentLength > 0);
        var events = post.Body!["events"]!.AsArray();
        Assert.Equal(["completed", "failed"], events.Select(e => (string)e!["status"]!));
        Assert.All(events, e => Assert.Equal((BindNotifier.EventName, instance), ((string?)e!["name"], (string?)e["server_uuid"])));
        Assert.Contains(_logs.Lines, l => l.Contains("Nova answered 200") && l.Contains(instance) && l.Contains("arq-1"));
    }

    [Fact]
    public async Task A_failing_Nova_is_retried_a_bounded_number_of_times_and_a_refusal_is_not_retried()
    {
        _nova.Failures.Enqueue(503);
        _nova.Failures.Enqueue(500);
        await Notifier().Notify(Guid.NewGuid().ToString(), [("arq-retried", true)]);
        Assert.Equal([503, 500, 200], _nova.Posts.Select(p => p.Answer));

        _nova.Posts.Clear();
        for (var i = 0; i < BindNotifier.Attempts + 2; i++)
        {
            _nova.Failures.Enqueue(500);
        }

        await Notifier().Notify(Guid.NewGuid().ToString(), [("arq-down", true)]);
        Assert.Equal(BindNotifier.Attempts, _nova.Posts.Count);
        Assert.Contains(_logs.Lines, l => l.Contains($"Nova answered 500") && l.Contains($"attempt {BindNotifier.Attempts})"));

        _nova.Posts.Clear();
        _nova.Failures.Clear();
        _nova.Failures.Enqueue(400);
        await Notifier().Notify("refused-instance", [("arq-refused", true)]);
        Assert.Equal([400], _nova.Posts.Select(p => p.Answer));
        Assert.Contains(_logs.Lines, l => l.Contains("Nova answered 400") && l.Contains("refused-instance") && l.Contains("Invalid input"));
    }

    private sealed class LogRecorder : ILoggerProvider
    {
        public ConcurrentQueue<string> Lines { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Recorder(Lines);

        public void Dispose()
        {
        }

        private sealed class Recorder(ConcurrentQueue<string> lines) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                lines.Enqueue(formatter(state, exception));
        }
    }
}
