using Spectre.Console;

namespace Fabric.Guest;

/// <summary>Progress lines for people: one per interval, on the console the CLI writes to.</summary>
public sealed class ConsoleProgress : IGuestProgressSink
{
    private readonly IAnsiConsole _console;

    public ConsoleProgress(IAnsiConsole console) => _console = console;

    public void Report(in GuestProgress p)
    {
        var errors = p.Errors > 0 ? $"[red]{p.Errors:N0}[/]" : "0";
        var integrity = p.IntegrityFailures > 0 ? $"  [red]integrity failures {p.IntegrityFailures:N0}[/]" : "";
        _console.MarkupLine(
            $"[grey]{p.Elapsed.TotalSeconds,7:F1}s[/]  [bold]{p.IntervalOpsPerSecond,10:N0}[/] ops/s  {p.IntervalMegabytesPerSecond,9:N1} MB/s  "
            + $"p50 {p.IntervalP50Micros,8:N1} µs  p99 {p.IntervalP99Micros,8:N1} µs  ok {p.Ok:N0}  errors {errors}  in flight {p.InFlight}{integrity}");
    }
}
