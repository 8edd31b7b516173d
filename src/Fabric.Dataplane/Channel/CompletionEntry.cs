using System.Runtime.InteropServices;

namespace Fabric.Dataplane.Channel;

/// <summary>One completion ring entry (32 bytes), written by the AC.</summary>
[StructLayout(LayoutKind.Explicit, Size = ChannelLayout.CompletionEntrySize)]
public struct CompletionEntry
{
    [FieldOffset(0)] public ulong Tag;
    [FieldOffset(8)] public OpStatus Status;
    /// <summary>Bytes written at the descriptor's output slot and offset.</summary>
    [FieldOffset(12)] public uint OutLength;
    /// <summary>Op-specific result: the session id for <see cref="OpCode.OpenSession"/>.</summary>
    [FieldOffset(16)] public ulong Value;
    /// <summary>AC service time of the op in nanoseconds (dequeue to completion).</summary>
    [FieldOffset(24)] public ulong ServiceNanos;
}
