using System.Diagnostics;
using Fabric.Dataplane.Channel;
using Fabric.Dataplane.Drivers;

namespace Fabric.Dataplane.Pipeline;

/// <summary>
/// Runs a chain of g-drivers on one descriptor, e.g. deflate -> aes-256-gcm -> sha256.
/// Forward runs the stages in order: a transforming stage (compress, AEAD) reads where the data is and
/// writes to a scratch buffer, except the last one, which writes straight into the guest's output slot;
/// a digest stage appends its digest in place after the data. Inverse undoes it in reverse: digests are
/// verified and stripped, AEAD opened, data decompressed, the first stage writing into the output slot
/// (unless a digest verified after it could still fail: then into scratch, copied out once all checks passed).
/// So a typical pipeline touches the input once and copies nothing between stages but its own results.
/// The same key opens every keyed stage; AAD is not supported (AadLength must be 0).
/// </summary>
public sealed class PipelineDriver : IGDriver
{
    private readonly IGDriver[] _stages;
    private readonly byte[] _scratchA;
    private readonly byte[] _scratchB;
    private readonly int _lastTransform;
    private readonly int _firstTransform;
    // Inverse: may the first transform write into the guest's output? Only when no check (a digest stage before
    // it in the chain, verified after it in reverse) can still fail: the guest must never see unverified output.
    private readonly bool _inverseWritesOutput;

    public PipelineDriver(IReadOnlyList<IGDriver> stages, int scratchCapacity = 256 * 1024)
    {
        if (stages.Count == 0)
        {
            throw new ArgumentException("a pipeline needs at least one stage", nameof(stages));
        }
        _stages = stages.ToArray();
        _scratchA = GC.AllocateUninitializedArray<byte>(scratchCapacity, pinned: true);
        _scratchB = GC.AllocateUninitializedArray<byte>(scratchCapacity, pinned: true);
        _lastTransform = -1;
        _firstTransform = -1;
        for (var i = 0; i < _stages.Length; i++)
        {
            if (_stages[i].Kind != DriverKind.Digest)
            {
                _lastTransform = i;
                if (_firstTransform < 0)
                {
                    _firstTransform = i;
                }
            }
            RequiresSession |= _stages[i].RequiresSession;
        }
        _inverseWritesOutput = !_stages.Take(Math.Max(_firstTransform, 0)).Any(s => s.Kind == DriverKind.Digest);
        Function = string.Join("->", _stages.Select(s => s.Function));
    }

    public string Function { get; }

    public DriverKind Kind => DriverKind.Transform;

    public int DigestSize => 0;

    public bool RequiresSession { get; }

    public IReadOnlyList<IGDriver> Stages => _stages;

    private sealed class PipelineSession
    {
        public PipelineSession(int stages) => States = new object?[stages];

        public object?[] States { get; }
    }

    public OpStatus OpenSession(ReadOnlySpan<byte> key, out object? session)
    {
        var s = new PipelineSession(_stages.Length);
        for (var i = 0; i < _stages.Length; i++)
        {
            // Keyless stages ignore the key; keyed ones validate it.
            var status = _stages[i].OpenSession(key, out s.States[i]);
            if (status != OpStatus.Ok)
            {
                for (var j = 0; j < i; j++)
                {
                    _stages[j].CloseSession(s.States[j]);
                }
                session = null;
                return status;
            }
        }
        session = s;
        return OpStatus.Ok;
    }

    public void CloseSession(object? session)
    {
        if (session is PipelineSession s)
        {
            for (var i = 0; i < _stages.Length; i++)
            {
                _stages[i].CloseSession(s.States[i]);
            }
        }
    }

    // Where the current data lives.
    private const int InInput = 0;
    private const int InA = 1;
    private const int InB = 2;
    private const int InOutput = 3;

    public OpStatus Execute(in DriverOp op, ReadOnlySpan<byte> input, Span<byte> output, out int written)
    {
        written = 0;
        if (op.AadLength != 0)
        {
            return OpStatus.BadInput;
        }
        var session = op.Session as PipelineSession;
        if (RequiresSession && session is null)
        {
            return OpStatus.BadSession;
        }
        if (op.Code == OpCode.Forward)
        {
            return Forward(op, session, input, output, out written);
        }
        if (op.Code == OpCode.Inverse)
        {
            return Inverse(op, session, input, output, out written);
        }
        return OpStatus.Unsupported;
    }

    private OpStatus Forward(in DriverOp op, PipelineSession? session, ReadOnlySpan<byte> input, Span<byte> output, out int written)
    {
        written = 0;
        var where = InInput;
        var length = input.Length;
        for (var i = 0; i < _stages.Length; i++)
        {
            var stage = _stages[i];
            var stageOp = new DriverOp(OpCode.Forward, session?.States[i], op.Nonce, 0, op.DeadlineTimestamp);
            ReadOnlySpan<byte> current = Buffer(where, input, output)[..length];
            OpStatus status;
            int w;
            if (stage.Kind == DriverKind.Digest)
            {
                if (where == InInput)
                {
                    // Digest before any transform: the guest's input is not ours to append to, so copy once.
                    var target = _lastTransform > i ? InA : InOutput;
                    var buffer = Buffer(target, input, output);
                    if (buffer.Length < length)
                    {
                        return OpStatus.OutputTooSmall;
                    }
                    current.CopyTo(buffer);
                    where = target;
                    current = buffer[..length];
                }
                var writable = Buffer(where, input, output);
                status = stage.Execute(stageOp, current, writable[length..], out w);
                length += w;
            }
            else
            {
                var target = i == _lastTransform ? InOutput : (where == InA ? InB : InA);
                status = stage.Execute(stageOp, current, Buffer(target, input, output), out w);
                where = target;
                length = w;
            }
            if (status != OpStatus.Ok)
            {
                return status;
            }
            if (Stopwatch.GetTimestamp() > op.DeadlineTimestamp)
            {
                return OpStatus.DeadlineExceeded;
            }
        }
        if (where != InOutput)
        {
            // Only when no stage produced output of its own (cannot happen with >= 1 stage, kept for safety).
            if (output.Length < length)
            {
                return OpStatus.OutputTooSmall;
            }
            Buffer(where, input, output)[..length].CopyTo(output);
        }
        written = length;
        return OpStatus.Ok;
    }

    private OpStatus Inverse(in DriverOp op, PipelineSession? session, ReadOnlySpan<byte> input, Span<byte> output, out int written)
    {
        written = 0;
        var where = InInput;
        var length = input.Length;
        for (var i = _stages.Length - 1; i >= 0; i--)
        {
            var stage = _stages[i];
            var stageOp = new DriverOp(OpCode.Inverse, session?.States[i], op.Nonce, 0, op.DeadlineTimestamp);
            ReadOnlySpan<byte> current = Buffer(where, input, output)[..length];
            OpStatus status;
            if (stage.Kind == DriverKind.Digest)
            {
                // Verify data || digest in place, then drop the digest: no copy.
                status = stage.Execute(stageOp, current, Span<byte>.Empty, out _);
                length -= stage.DigestSize;
            }
            else
            {
                var target = i == _firstTransform && _inverseWritesOutput ? InOutput : (where == InA ? InB : InA);
                status = stage.Execute(stageOp, current, Buffer(target, input, output), out var w);
                where = target;
                length = w;
            }
            if (status != OpStatus.Ok)
            {
                return status;
            }
            if (Stopwatch.GetTimestamp() > op.DeadlineTimestamp)
            {
                return OpStatus.DeadlineExceeded;
            }
        }
        if (where != InOutput)
        {
            if (output.Length < length)
            {
                return OpStatus.OutputTooSmall;
            }
            Buffer(where, input, output)[..length].CopyTo(output);
        }
        written = length;
        return OpStatus.Ok;
    }

    private Span<byte> Buffer(int where, ReadOnlySpan<byte> input, Span<byte> output) => where switch
    {
        // The input is only ever read from; the cast back to Span is never written through.
        InInput => System.Runtime.InteropServices.MemoryMarshal.CreateSpan(ref System.Runtime.InteropServices.MemoryMarshal.GetReference(input), input.Length),
        InA => _scratchA,
        InB => _scratchB,
        _ => output,
    };

    public void Dispose()
    {
        foreach (var stage in _stages)
        {
            stage.Dispose();
        }
    }
}
