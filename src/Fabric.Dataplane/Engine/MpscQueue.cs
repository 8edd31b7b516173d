namespace Fabric.Dataplane.Engine;

/// <summary>
/// Lock-free multi-producer single-consumer queue (Vyukov's intrusive list): producers swap the head
/// with one Interlocked.Exchange, the single consumer walks from the tail. Used for control commands,
/// so one allocation per command is fine; the data path never touches it.
/// </summary>
internal sealed class MpscQueue<T> where T : class
{
    private sealed class Node
    {
        public T? Value;
        public Node? Next;
    }

    private Node _head;
    private Node _tail;

    public MpscQueue()
    {
        _head = _tail = new Node();
    }

    public void Enqueue(T value)
    {
        var node = new Node { Value = value };
        var previous = Interlocked.Exchange(ref _head, node);
        Volatile.Write(ref previous.Next, node);
    }

    /// <summary>Consumer side only. May return false while a producer is between its two steps; the item shows up on a later call.</summary>
    public bool TryDequeue(out T? value)
    {
        var next = Volatile.Read(ref _tail.Next);
        if (next is null)
        {
            value = null;
            return false;
        }
        value = next.Value;
        next.Value = null;
        _tail = next;
        return true;
    }

    public bool IsEmpty => Volatile.Read(ref _tail.Next) is null;
}
