using Fabric.Messages.Node;

namespace Fabric.Cmd.Cli;

/// <summary>Turns successive readings of the nodes' queue counters into rates (the agents report totals).</summary>
public sealed class DataplaneSampler
{
    private readonly Dictionary<(string Node, string Queue), Reading> _last = new();

    public IReadOnlyList<QueueSample> Add(IReadOnlyList<NodeStatus> nodes, DateTime at)
    {
        var samples = new List<QueueSample>();
        var seen = new HashSet<(string, string)>();
        foreach (var node in nodes.OrderBy(n => n.Node, StringComparer.Ordinal))
        {
            foreach (var q in node.Queues.OrderBy(q => q.QueueId, StringComparer.Ordinal))
            {
                var key = (node.Node, q.QueueId);
                seen.Add(key);
                double? ops = null;
                double? errors = null;
                double? bytes = null;
                if (_last.TryGetValue(key, out var before) && at > before.At && q.Ops >= before.Ops && q.Errors >= before.Errors && q.BytesIn >= before.BytesIn)
                {
                    var seconds = (at - before.At).TotalSeconds;
                    ops = (q.Ops - before.Ops) / seconds;
                    errors = (q.Errors - before.Errors) / seconds;
                    bytes = (q.BytesIn - before.BytesIn) / seconds;
                }

                _last[key] = new Reading(q.Ops, q.Errors, q.BytesIn, at);
                samples.Add(new QueueSample(node.Node, q, ops, errors, bytes));
            }
        }

        // A queue that went away (VM deleted) starts from nothing if it comes back.
        foreach (var gone in _last.Keys.Where(k => !seen.Contains(k)).ToArray())
        {
            _last.Remove(gone);
        }

        return samples;
    }

    private readonly record struct Reading(long Ops, long Errors, long BytesIn, DateTime At);
}
