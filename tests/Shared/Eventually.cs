using System.Diagnostics;

namespace Fabric.Testing;

/// <summary>
/// Waiting for a condition, never for a fixed time: read models, membership and processes catch up within moments.
/// Polls until the condition holds and fails with what was awaited (and the last value seen) after the limit.
/// Exceptions of the probe are not swallowed: a probe that may fail while the system comes up catches them itself.
/// </summary>
internal static class Eventually
{
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan Every = TimeSpan.FromMilliseconds(50);

    /// <summary>Until <paramref name="condition"/> holds.</summary>
    public static Task Until(Func<Task<bool>> condition, string what, TimeSpan? within = null, TimeSpan? every = null) =>
        For(condition, held => held, what, within, every);

    /// <summary>Until <paramref name="condition"/> holds.</summary>
    public static Task Until(Func<bool> condition, string what, TimeSpan? within = null, TimeSpan? every = null) =>
        For(() => Task.FromResult(condition()), held => held, what, within, every);

    /// <summary>
    /// Runs <paramref name="probe"/> until <paramref name="done"/> holds for its result, and returns that result; a
    /// failure names the last result, as <paramref name="describe"/> tells it (its text by default).
    /// </summary>
    public static async Task<T> For<T>(
        Func<Task<T>> probe, Func<T, bool> done, string what, TimeSpan? within = null, TimeSpan? every = null, Func<T, string>? describe = null)
    {
        var limit = within ?? Limit;
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var value = await probe();
            if (done(value))
            {
                return value;
            }

            if (clock.Elapsed > limit)
            {
                throw new TimeoutException(describe is not null
                    ? $"not within {limit.TotalSeconds:0.#}s: {what}; {describe(value)}"
                    : value is bool or null
                        ? $"not within {limit.TotalSeconds:0.#}s: {what}"
                        : $"not within {limit.TotalSeconds:0.#}s: {what}; last seen: {value}");
            }

            await Task.Delay(every ?? Every);
        }
    }

    /// <summary>Runs <paramref name="probe"/> until it finds something (not null), and returns it.</summary>
    public static async Task<T> Found<T>(
        Func<Task<T?>> probe, string what, TimeSpan? within = null, TimeSpan? every = null, Func<string>? describe = null)
        where T : class =>
        (await For(probe, found => found is not null, what, within, every, describe is null ? null : _ => describe()))!;
}
