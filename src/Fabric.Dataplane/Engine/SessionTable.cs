using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using Fabric.Dataplane.Channel;
using Fabric.Dataplane.Drivers;

namespace Fabric.Dataplane.Engine;

/// <summary>
/// Sessions of one queue, in AC memory (never in the channel file). A session id is
/// (generation &lt;&lt; 16) | (index + 1), so a closed id is not valid again when its index is reused. The
/// 16-bit generation would wrap after 65,535 open/close cycles of one index and hand out an old id again;
/// instead an index whose generation reached 65,535 is retired when that session closes, so an id is
/// never issued twice in a queue's life (OpenSession answers SessionTableFull once every index retired).
/// The AC keeps a private copy of each key so it can rebuild sessions after a driver swap.
/// Touched by the owning worker thread only.
/// </summary>
internal sealed class SessionTable
{
    private readonly object?[] _states;
    private readonly byte[]?[] _keys;
    private readonly ushort[] _generations;
    private readonly bool[] _inUse;
    private readonly bool[] _retired;

    /// <param name="startGeneration">Generation every index starts from (tests start near the end).</param>
    public SessionTable(int capacity, ushort startGeneration = 0)
    {
        _states = new object?[capacity];
        _keys = new byte[]?[capacity];
        _generations = new ushort[capacity];
        _inUse = new bool[capacity];
        _retired = new bool[capacity];
        Array.Fill(_generations, Math.Min(startGeneration, (ushort)(ushort.MaxValue - 1)));
    }

    /// <summary>Indices retired because their generation was spent.</summary>
    public int Retired { get; private set; }

    public int Count { get; private set; }

    public OpStatus Open(IGDriver driver, ReadOnlySpan<byte> key, out uint id)
    {
        id = 0;
        var index = -1;
        for (var i = 0; i < _inUse.Length; i++)
        {
            if (!_inUse[i] && !_retired[i])
            {
                index = i;
                break;
            }
        }
        if (index < 0)
        {
            return OpStatus.SessionTableFull;
        }
        var status = driver.OpenSession(key, out var state);
        if (status != OpStatus.Ok)
        {
            return status;
        }
        _inUse[index] = true;
        _states[index] = state;
        _keys[index] = key.ToArray();
        // Never wraps: an index at 65,535 is retired when this session closes (see Wipe).
        _generations[index]++;
        Count++;
        id = ((uint)_generations[index] << 16) | (uint)(index + 1);
        return OpStatus.Ok;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryGet(uint id, out object? state)
    {
        var index = (int)(id & 0xFFFF) - 1;
        if ((uint)index < (uint)_inUse.Length && _inUse[index] && _generations[index] == (ushort)(id >> 16))
        {
            state = _states[index];
            return true;
        }
        state = null;
        return false;
    }

    public OpStatus Close(IGDriver driver, uint id)
    {
        var index = (int)(id & 0xFFFF) - 1;
        if (!TryGet(id, out var state))
        {
            return OpStatus.BadSession;
        }
        driver.CloseSession(state);
        Wipe(index);
        return OpStatus.Ok;
    }

    /// <summary>Rebuilds every session on <paramref name="next"/> from the kept keys, then releases the old states.</summary>
    public void Rebind(IGDriver previous, IGDriver next)
    {
        for (var i = 0; i < _inUse.Length; i++)
        {
            if (!_inUse[i])
            {
                continue;
            }
            previous.CloseSession(_states[i]);
            if (next.OpenSession(_keys[i], out var state) == OpStatus.Ok)
            {
                _states[i] = state;
            }
            else
            {
                // The new driver refuses this key: the session is gone; its ops will complete BadSession.
                Wipe(i);
            }
        }
    }

    public void CloseAll(IGDriver driver)
    {
        for (var i = 0; i < _inUse.Length; i++)
        {
            if (_inUse[i])
            {
                driver.CloseSession(_states[i]);
                Wipe(i);
            }
        }
    }

    private void Wipe(int index)
    {
        if (_keys[index] is { } key)
        {
            CryptographicOperations.ZeroMemory(key);
        }
        _keys[index] = null;
        _states[index] = null;
        _inUse[index] = false;
        Count--;
        if (_generations[index] == ushort.MaxValue)
        {
            _retired[index] = true;
            Retired++;
        }
    }
}
