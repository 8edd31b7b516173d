using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography;
using Spectre.Console;

namespace Fabric.Guest;

/// <summary>
/// The fabric-guest command line: a thin layer that turns arguments into <see cref="GuestWorkloadOptions"/>,
/// runs a <see cref="GuestWorkload"/> and prints progress and the summary. Every input problem is exit 2.
/// </summary>
public static class GuestCli
{
    /// <summary>Largest key a queue accepts in OpenSession (the AC's default MaxKeyBytes).</summary>
    public const int MaxKeyBytes = 1024;

    /// <summary>
    /// Parses and runs <paramref name="args"/>. <paramref name="handleSignals"/>: let Ctrl+C/SIGTERM cancel the
    /// run (the process entry point); tests pass false and cancel through <paramref name="cancel"/>.
    /// </summary>
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, bool handleSignals, CancellationToken cancel = default)
    {
        var root = Build(stdout, stderr);
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors)
            {
                await stderr.WriteLineAsync("fabric-guest: " + error.Message);
            }
            await stderr.WriteLineAsync("run 'fabric-guest run --help' for the options");
            return GuestExitCodes.BadInput;
        }
        var config = new InvocationConfiguration
        {
            Output = stdout,
            Error = stderr,
            // Long enough for the workload to drain what it has in flight (it caps that at 2 s once cancelled).
            ProcessTerminationTimeout = handleSignals ? TimeSpan.FromSeconds(10) : null,
        };
        return await parse.InvokeAsync(config, cancel);
    }

    private static RootCommand Build(TextWriter stdout, TextWriter stderr)
    {
        var channel = new Option<string>("--channel")
        {
            Description = "the attach handle's channel path: the node's socket for the attachment (e.g. /dev/shm/fabric-<uid>/<node>-<port>/<attachment>.sock), or a channel file in the node's debugging path mode",
        };
        var op = new Option<string>("--op")
        {
            Description = "what to run on the queue's chain: forward (aliases seal, hash, compress, pipeline), "
                + "roundtrip (aliases open-roundtrip, decompress-roundtrip, pipeline-roundtrip: Forward then Inverse, bytes must come back equal), "
                + "hash-verify (digest queues: Forward, then verify data||digest), nop (channel only)",
            DefaultValueFactory = _ => "roundtrip",
        };
        var size = new Option<int>("--size") { Description = "input bytes per operation", DefaultValueFactory = _ => 4096 };
        var batch = new Option<int>("--batch") { Description = "operations in flight, posted in one burst", DefaultValueFactory = _ => 8 };
        var rate = new Option<double>("--rate") { Description = "operations per second; 0 = as fast as the queue answers", DefaultValueFactory = _ => 0 };
        var duration = new Option<string?>("--duration") { Description = "how long to run, e.g. 10s, 500ms, 2m (default 10s unless --count is given)" };
        var count = new Option<long?>("--count") { Description = "stop after this many operations (a round trip is two) instead of a duration" };
        var keyFile = new Option<string?>("--key-file")
        {
            Description = "file holding the session key (raw bytes, or 64 hex digits); default: a random 32-byte key made for this run. Keys never go through the control plane",
        };
        var payload = new Option<string>("--payload") { Description = "input bytes: random, text (compressible) or zero", DefaultValueFactory = _ => "random" };
        var json = new Option<bool>("--json") { Description = "print one JSON summary on stdout at the end and nothing else" };
        var interval = new Option<string>("--progress-interval") { Description = "how often to print a progress line", DefaultValueFactory = _ => "1s" };
        var timeout = new Option<string>("--timeout")
        {
            Description = "how long operations may go unanswered before the AC counts as gone (exit 4)",
            DefaultValueFactory = _ => "5s",
        };

        var run = new Command("run", "open the channel, open a session with your own key, and run operations at a size and rate, printing progress")
        {
            channel, op, size, batch, rate, duration, count, keyFile, payload, json, interval, timeout,
        };
        run.SetAction(async (parse, cancel) =>
        {
            var errors = CreateConsole(stderr);
            string? problem = null;
            void Fail(string message) => problem ??= message;

            if (!GuestOps.TryParse(parse.GetValue(op), out var guestOp))
            {
                Fail($"--op '{parse.GetValue(op)}' is not an op; use one of: {string.Join(", ", GuestOps.Names)}");
            }
            if (!Enum.TryParse<PayloadKind>(parse.GetValue(payload), ignoreCase: true, out var payloadKind) || !Enum.IsDefined(payloadKind))
            {
                Fail($"--payload '{parse.GetValue(payload)}' is not a payload; use random, text or zero");
            }
            TimeSpan? runFor = null;
            if (parse.GetValue(duration) is { } d)
            {
                if (DurationParser.TryParse(d, out var parsed))
                {
                    runFor = parsed;
                }
                else
                {
                    Fail($"--duration '{d}' is not a duration; write e.g. 10s, 500ms or 2m");
                }
            }
            var runCount = parse.GetValue(count);
            if (runFor is null && runCount is null && parse.GetValue(duration) is null)
            {
                runFor = TimeSpan.FromSeconds(10);
            }
            if (!DurationParser.TryParse(parse.GetValue(interval), out var every))
            {
                Fail($"--progress-interval '{parse.GetValue(interval)}' is not a duration; write e.g. 1s or 500ms");
            }
            if (!DurationParser.TryParse(parse.GetValue(timeout), out var patience))
            {
                Fail($"--timeout '{parse.GetValue(timeout)}' is not a duration; write e.g. 5s");
            }
            byte[]? key = null;
            if (problem is null && parse.GetValue(keyFile) is { } keyPath)
            {
                key = ReadKey(keyPath, out var keyProblem);
                if (keyProblem is not null)
                {
                    Fail(keyProblem);
                }
            }
            try
            {
                var options = new GuestWorkloadOptions
                {
                    ChannelPath = parse.GetValue(channel) ?? "",
                    Op = guestOp,
                    Size = parse.GetValue(size),
                    Batch = parse.GetValue(batch),
                    Rate = parse.GetValue(rate),
                    Duration = runFor,
                    Count = runCount,
                    Key = key,
                    Payload = payloadKind,
                    ProgressInterval = every,
                    Timeout = patience,
                };
                problem ??= options.Validate();
                if (problem is not null)
                {
                    await stderr.WriteLineAsync("fabric-guest: " + problem);
                    return GuestExitCodes.BadInput;
                }

                var asJson = parse.GetValue(json);
                var console = CreateConsole(stdout);
                var banner = $"[grey]fabric-guest: {GuestOps.NameOf(options.Op)} of {options.Size:N0} bytes, {options.Batch} in flight, "
                    + $"{(options.Rate > 0 ? options.Rate.ToString("N0", CultureInfo.InvariantCulture) + " ops/s" : "unlimited rate")} on {Markup.Escape(options.ChannelPath)}; Ctrl+C stops[/]";
                var workload = new GuestWorkload(options, asJson ? null : new ConsoleProgress(console, banner));
                var result = await workload.RunAsync(cancel);
                if (result.StoppedBy == StopReason.NotStarted || (result.StoppedBy == StopReason.SessionFailed && result.ExitCode == GuestExitCodes.BadInput))
                {
                    // Nothing ran: bad input or no channel. Only the message, on stderr.
                    await stderr.WriteLineAsync("fabric-guest: " + result.Message);
                    return result.ExitCode;
                }
                if (asJson)
                {
                    await stdout.WriteLineAsync(SummaryWriter.ToJson(result));
                }
                else if (result.Submitted > 0 || result.Message is null)
                {
                    SummaryWriter.WriteTable(console, result);
                }
                if (result.Message is not null)
                {
                    errors.MarkupLine($"[red]fabric-guest:[/] {Markup.Escape(result.Message)}");
                }
                return result.ExitCode;
            }
            finally
            {
                if (key is not null)
                {
                    CryptographicOperations.ZeroMemory(key);
                }
            }
        });

        var root = new RootCommand("fabric-guest: a sample VM workload on a Fabric accelerator channel (the guest s-API)");
        root.Subcommands.Add(run);
        return root;
    }

    private static IAnsiConsole CreateConsole(TextWriter writer)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(writer) });
        var toTerminal = ReferenceEquals(writer, Console.Out) ? !Console.IsOutputRedirected
            : ReferenceEquals(writer, Console.Error) && !Console.IsErrorRedirected;
        if (!toTerminal)
        {
            // Redirected output has no width; Spectre would wrap at 80 and split every progress line in a log.
            console.Profile.Width = 200;
        }
        return console;
    }

    /// <summary>Reads a key file: 64 hex digits (a 32-byte key typed by a person) or raw bytes.</summary>
    public static byte[]? ReadKey(string path, out string? problem)
    {
        byte[] raw;
        try
        {
            raw = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            problem = $"--key-file {path} does not exist: give a file with the session key (e.g. head -c 32 /dev/urandom > {path})";
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problem = $"--key-file {path} cannot be read: {e.Message}";
            return null;
        }
        if (raw.Length == 0)
        {
            problem = $"--key-file {path} is empty: it must hold the key (32 bytes for AEAD stages)";
            return null;
        }
        if (raw.Length > MaxKeyBytes * 2 + 2)
        {
            CryptographicOperations.ZeroMemory(raw);
            problem = $"--key-file {path} holds {raw.Length} bytes; a key is at most {MaxKeyBytes} bytes";
            return null;
        }
        var key = TryHex(raw) ?? raw;
        if (!ReferenceEquals(key, raw))
        {
            CryptographicOperations.ZeroMemory(raw);
        }
        if (key.Length > MaxKeyBytes)
        {
            CryptographicOperations.ZeroMemory(key);
            problem = $"--key-file {path} holds a {key.Length}-byte key; a key is at most {MaxKeyBytes} bytes";
            return null;
        }
        problem = null;
        return key;
    }

    private static byte[]? TryHex(byte[] raw)
    {
        var end = raw.Length;
        while (end > 0 && (raw[end - 1] == (byte)'\n' || raw[end - 1] == (byte)'\r' || raw[end - 1] == (byte)' '))
        {
            end--;
        }
        if (end != 64)
        {
            return null;
        }
        var key = new byte[32];
        for (var i = 0; i < 32; i++)
        {
            var hi = HexValue(raw[2 * i]);
            var lo = HexValue(raw[2 * i + 1]);
            if (hi < 0 || lo < 0)
            {
                CryptographicOperations.ZeroMemory(key);
                return null;
            }
            key[i] = (byte)(hi << 4 | lo);
        }
        return key;
    }

    private static int HexValue(byte c) => c switch
    {
        >= (byte)'0' and <= (byte)'9' => c - '0',
        >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
        _ => -1,
    };
}
