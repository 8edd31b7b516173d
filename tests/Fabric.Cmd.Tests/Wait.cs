namespace Fabric.Cmd.Tests;

/// <summary>Waiting for conditions, never for fixed times: read models and membership catch up within moments.</summary>
public static class Wait
{
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    public static async Task Until(Func<Task<bool>> condition, string what, TimeSpan? limit = null)
    {
        var deadline = DateTime.UtcNow + (limit ?? Limit);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{what} within {(limit ?? Limit).TotalSeconds:0}s");
            }

            await Task.Delay(50);
        }
    }

    public static Task Until(Func<bool> condition, string what) => Until(() => Task.FromResult(condition()), what);

    /// <summary>Runs <paramref name="probe"/> until <paramref name="done"/> holds for its result, and returns that result.</summary>
    public static async Task<T> For<T>(Func<Task<T>> probe, Func<T, bool> done, string what, TimeSpan? limit = null)
    {
        var deadline = DateTime.UtcNow + (limit ?? Limit);
        while (true)
        {
            var value = await probe();
            if (done(value))
            {
                return value;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{what} within {(limit ?? Limit).TotalSeconds:0}s; last: {value}");
            }

            await Task.Delay(100);
        }
    }
}
