using System.Text.RegularExpressions;
using Akka.Actor;
using Akka.Configuration;
using Akka.Event;
using Fabric.Node.Logging;
using Xunit;

namespace Fabric.Node.Tests.Logging;

/// <summary>The logger fabric-node installs, in a real actor system: the file gets the logs, the console only warnings and errors, one line each.</summary>
[Collection(ConsoleLogCollection.Name)]
public sealed class FabricLoggerTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "fabric-logger-tests", Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task The_file_holds_info_and_up_and_the_console_gets_a_warning_as_one_line_in_Akkas_layout()
    {
        var console = new StringWriter();
        var settings = new LogSettings(Path.Combine(_folder, "logs", "node.log"), LogLevel.WarningLevel);
        var system = ActorSystem.Create("log-test", ConfigurationFactory.ParseString(settings.ToHocon()));
        var previous = ConsoleLog.Writer;
        ConsoleLog.Writer = TextWriter.Synchronized(console);
        try
        {
            var log = Akka.Event.Logging.GetLogger(system, "fabric-test");
            log.Info("an info line for the file only");
            log.Warning(new InvalidOperationException("first line\nsecond line"), "a warning\nover two lines");
            log.Error("an error line");
            await Eventually.Until(() => console.ToString().Contains("an error line") && Read(settings.File).Contains("an error line"), "the error line on the console and in the file", TimeSpan.FromSeconds(20));

            var file = Read(settings.File);
            Assert.Contains("an info line for the file only", file);
            Assert.Contains("System.InvalidOperationException: first line", file);

            var lines = console.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
            Assert.DoesNotContain(lines, l => l.Contains("an info line", StringComparison.Ordinal));
            var warning = Assert.Single(lines, l => l.Contains("a warning", StringComparison.Ordinal));
            // The layout the chaos drill's ReachabilityAudit parses: [LEVEL][MM/dd/yyyy HH:mm:ss.fffZ][Thread n][source] message
            Assert.True(Regex.IsMatch(warning, @"^\[WARNING\]\[\d\d/\d\d/\d{4} \d\d:\d\d:\d\d\.\d{3}Z\]\[Thread \d{4}\]\[fabric-test \(akka://log-test\)\] a warning over two lines \(InvalidOperationException: first line second line\)$"), warning);
            Assert.Single(lines, l => l.StartsWith("[ERROR]", StringComparison.Ordinal) && l.EndsWith("an error line", StringComparison.Ordinal));
        }
        finally
        {
            await system.Terminate();
            ConsoleLog.Writer = previous;
        }
    }

    [Fact]
    public async Task Dead_letters_of_an_orderly_shutdown_stay_off_the_console()
    {
        var console = new StringWriter();
        var settings = new LogSettings(Path.Combine(_folder, "node.log"), LogLevel.InfoLevel);
        var system = ActorSystem.Create("log-test", ConfigurationFactory.ParseString(settings.ToHocon()));
        var previous = ConsoleLog.Writer;
        ConsoleLog.Writer = TextWriter.Synchronized(console);
        try
        {
            var log = Akka.Event.Logging.GetLogger(system, "fabric-test");
            log.Info("before the shutdown");
            await Eventually.Until(() => console.ToString().Contains("before the shutdown"), "the line before the shutdown on the console", TimeSpan.FromSeconds(20));
            // A message to a stopped actor while the node shuts down in order: a real dead letter, logged by Akka.
            var shutdown = CoordinatedShutdown.Get(system);
            shutdown.AddTask(CoordinatedShutdown.PhaseBeforeServiceUnbind, "late-message", async () =>
            {
                system.DeadLetters.Tell("a late message");
                await Eventually.Until(() => Read(settings.File).Contains("was not delivered"), "the dead letter in the file", TimeSpan.FromSeconds(20));
                return Akka.Done.Instance;
            });
            await shutdown.Run(CoordinatedShutdown.ClrExitReason.Instance);
            await system.WhenTerminated;
            ConsoleLog.Writer = previous;

            Assert.Contains("was not delivered", Read(settings.File));
            Assert.DoesNotContain("was not delivered", console.ToString());
            Assert.DoesNotContain("dead letters encountered", console.ToString());
        }
        finally
        {
            ConsoleLog.Writer = previous;
            await system.Terminate();
        }
    }

    [Fact]
    public void The_log_file_is_capped_and_the_older_files_are_kept_up_to_the_limit()
    {
        var path = Path.Combine(_folder, "capped.log");
        using (var file = new RollingLogFile(path, maxBytes: 1000, keep: 2))
        {
            for (var i = 0; i < 100; i++)
            {
                file.Write($"line {i:000} " + new string('x', 90));
            }
        }

        Assert.True(new FileInfo(path).Length <= 1000);
        Assert.True(new FileInfo(path + ".1").Length <= 1000);
        Assert.True(new FileInfo(path + ".2").Length <= 1000);
        Assert.False(File.Exists(path + ".3"));
        Assert.EndsWith("line 099 " + new string('x', 90), File.ReadAllText(path).TrimEnd());
    }

    [Fact]
    public void A_log_level_is_one_of_four_and_a_bad_one_is_named()
    {
        Assert.Equal(LogLevel.DebugLevel, LogSettings.ParseLevel("debug", "--log-level"));
        Assert.Equal(LogLevel.WarningLevel, LogSettings.ParseLevel("WARNING", "--log-level"));
        var bad = Assert.Throws<Fabric.Control.Configuration.FabricConfigurationException>(() => LogSettings.ParseLevel("loud", "--log-level"));
        Assert.Equal("--log-level: a log level is DEBUG, INFO, WARNING or ERROR; got 'loud'", bad.Message);

        // The file holds at least INFO; DEBUG on the console means DEBUG in the file too.
        Assert.Equal(LogLevel.InfoLevel, new LogSettings("f", LogLevel.ErrorLevel).FileLevel);
        Assert.Equal(LogLevel.DebugLevel, new LogSettings("f", LogLevel.DebugLevel).FileLevel);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    private static string Read(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        return new StreamReader(stream).ReadToEnd();
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ConsoleLogCollection
{
    public const string Name = "console log";
}
