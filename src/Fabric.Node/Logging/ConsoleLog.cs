using System.Collections.Concurrent;

namespace Fabric.Node.Logging;

/// <summary>
/// Where <see cref="FabricLogger"/> writes its console lines (standard error). While a live table redraws itself in
/// place (<see cref="Hold"/>), lines wait and come out after it, so that they neither tear the table nor vanish.
/// </summary>
public static class ConsoleLog
{
    private static readonly ConcurrentQueue<string> Held = new();
    private static int _holds;

    /// <summary>Replaceable for tests; standard error by default.</summary>
    public static TextWriter Writer { get; set; } = Console.Error;

    public static void Write(string line)
    {
        if (Volatile.Read(ref _holds) > 0)
        {
            Held.Enqueue(line);
            // Released in between: nobody else will flush this one.
            if (Volatile.Read(ref _holds) == 0)
            {
                Flush();
            }

            return;
        }

        Writer.WriteLine(line);
    }

    /// <summary>Holds console log lines until the returned handle is disposed.</summary>
    public static IDisposable Hold()
    {
        Interlocked.Increment(ref _holds);
        return new Release();
    }

    private static void Flush()
    {
        while (Held.TryDequeue(out var line))
        {
            Writer.WriteLine(line);
        }
    }

    private sealed class Release : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0 && Interlocked.Decrement(ref _holds) == 0)
            {
                Flush();
            }
        }
    }
}
