using System.Runtime.CompilerServices;

namespace Fabric.Dataplane.Engine.Scheduling;

/// <summary>
/// A token bucket on an injected clock (ticks of any frequency): fills at <see cref="Rate"/> tokens a tick up to
/// <see cref="Depth"/>. Tokens may go below zero: a visit is charged what it really took, so the long-run rate is exact
/// and the debt is paid before the next admission. A rate of 0 disables the bucket (it always admits).
/// </summary>
internal struct TokenBucket
{
    public double Rate;
    public double Depth;
    public double Tokens;
    public long Last;

    public readonly bool Enabled => Rate > 0;

    /// <param name="perSecond">Tokens a second; 0 disables.</param>
    /// <param name="depthSeconds">How much unused rate the bucket keeps (the burst it allows after an idle spell).</param>
    /// <param name="minDepth">At least this deep (one op for an ops bucket).</param>
    public static TokenBucket Create(long perSecond, double depthSeconds, double minDepth, long frequency, long now)
    {
        if (perSecond <= 0)
        {
            return default;
        }
        var depth = Math.Max(minDepth, perSecond * depthSeconds);
        return new TokenBucket { Rate = perSecond / (double)frequency, Depth = depth, Tokens = depth, Last = now };
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Refill(long now)
    {
        if (Rate > 0 && now > Last)
        {
            Tokens = Math.Min(Depth, Tokens + (now - Last) * Rate);
            Last = now;
        }
    }

    /// <summary>True when a visit may start: at least <paramref name="need"/> tokens (ops: 1; bytes: anything above 0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly bool Admits(double need) => Rate <= 0 || (need > 0 ? Tokens >= need : Tokens > 0);

    /// <summary>At most <paramref name="n"/> ops, and no more than the tokens pay for at <paramref name="perOp"/> each (at least one).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly int Limit(int n, double perOp)
    {
        if (Rate <= 0 || perOp <= 0)
        {
            return n;
        }
        var afford = Tokens / perOp;
        return afford >= n ? n : Math.Max(1, (int)afford);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Take(double amount)
    {
        if (Rate > 0)
        {
            Tokens -= amount;
        }
    }

    /// <summary>Ticks until the bucket admits again (0: it does now).</summary>
    public readonly long TicksUntil(double need) =>
        Admits(need) ? 0 : (long)Math.Ceiling(((need > 0 ? need : double.Epsilon) - Tokens) / Rate);
}
