using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using Fabric.Dataplane.Channel;
using Fabric.Dataplane.Drivers;

namespace Fabric.Dataplane.Engine;

/// <summary>
/// Sessions of one queue, in AC memory (never in the channel file). A session id is
/// (generation &lt;&lt; 16) | (index + 1), so a closed id is not valid again when its index is reused.
/// The AC keeps a private copy of each key so it can rebuild sessions after a driver swap.
/// Touched by the owning worker thread only.
/// </summary>
internal sealed class SessionTable
{
    private readonly object?[] _states;
    private readonly byte[]?[] _keys;
    private readonly ushort[] _generations;
    private readonly bool[] _inUse;

    public SessionTable(int capacity)
    {
        _states = new object?[capacity];
        _keys = new byte[]?[capacity];
        _generations = new ushort[capacity];
        _inUse = new bool[capacity];
    }

    public int Count { get; private set; }

    public OpStatus Open(IGDriver driver, ReadOnlySpan<byte> key, out uint id)
    {
        id = 0;
        var index = Array.IndexOf(_inUse, false);
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
        _generations[index]++;
        if (_generations[index] == 0)
        {
            _generations[index] = 1;
        }
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
    }
}
