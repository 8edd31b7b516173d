using Spectre.Console;

namespace Fabric.Guest;

/// <summary>Progress lines for people: one per interval, on the console the CLI writes to.</summary>
public sealed class ConsoleProgress : IGuestProgressSink
{
    private readonly IAnsiConsole _console;
    private string? _banner;

    /// <param name="banner">Markup printed above the first line: only once the run is under way, so a
    /// run that never starts (bad channel) leaves stdout empty.</param>
    public ConsoleProgress(IAnsiConsole console, string? banner = null)
    {
        _console = console;
        _banner = banner;
    }

    public void Report(in GuestProgress p)
    {
        if (_banner is not null)
        {
            _console.MarkupLine(_banner);
            _banner = null;
        }
        var errors = p.Errors > 0 ? $"[red]{p.Errors:N0}[/]" : "0";
        var integrity = p.IntegrityFailures > 0 ? $"  [red]integrity failures {p.IntegrityFailures:N0}[/]" : "";
        _console.MarkupLine(
            $"[grey]{p.Elapsed.TotalSeconds,7:F1}s[/]  [bold]{p.IntervalOpsPerSecond,10:N0}[/] ops/s  {p.IntervalMegabytesPerSecond,9:N1} MB/s  "
            + $"p50 {p.IntervalP50Micros,8:N1} µs  p99 {p.IntervalP99Micros,8:N1} µs  ok {p.Ok:N0}  errors {errors}  in flight {p.InFlight}{integrity}");
    }
}
