using Fabric.Dataplane.Channel;
using Fabric.Dataplane.Drivers;
using static Fabric.Dataplane.Tests.TestSupport;

namespace Fabric.Dataplane.Tests.Engine;

/// <summary>
/// Issue 14, items 3 and 5: the per-op field table of docs/channel-abi.md, and bytes_in counting only
/// the input of ops that read data.
/// </summary>
public class DescriptorRulesTests
{
    private static readonly byte[] Key = new byte[32];

    [Theory]
    [InlineData(OpCode.Nop)]
    [InlineData(OpCode.OpenSession)]
    [InlineData(OpCode.CloseSession)]
    [InlineData(OpCode.Forward)]
    [InlineData(OpCode.Inverse)]
    public void Flags_and_reserved_must_be_0_for_every_op(OpCode op)
    {
        using var rig = new Rig(new AesGcmDriver());
        var g = rig.Guest;
        var session = g.OpenSession(Key, 0, Patience);
        Key.CopyTo(g.Slot(3));
        // Something genuine to open: 64 bytes sealed into slot 4.
        Assert.Equal(OpStatus.Ok, g.SubmitAndWait(Data(9, OpCode.Forward, session, 1, 64, 4, 128), Patience).Status);
        var valid = Valid(op, session);
        var flagged = valid;
        flagged.Flags = 1;
        var reserved = valid;
        reserved.Reserved = 0x80000000;
        Assert.Equal(OpStatus.BadDescriptor, g.SubmitAndWait(flagged, Patience).Status);
        Assert.Equal(OpStatus.BadDescriptor, g.SubmitAndWait(reserved, Patience).Status);
        Assert.Equal(OpStatus.Ok, g.SubmitAndWait(valid, Patience).Status);
    }

    [Theory]
    [InlineData(OpCode.Nop)]
    [InlineData(OpCode.OpenSession)]
    [InlineData(OpCode.CloseSession)]
    public void Aad_length_must_be_0_for_ops_without_data(OpCode op)
    {
        using var rig = new Rig(new AesGcmDriver());
        var g = rig.Guest;
        var session = g.OpenSession(Key, 0, Patience);
        Key.CopyTo(g.Slot(3));
        var d = Valid(op, session);
        d.AadLength = 1;
        Assert.Equal(OpStatus.BadDescriptor, g.SubmitAndWait(d, Patience).Status);
        // Still open: the refused CloseSession closed nothing.
        Assert.Equal(OpStatus.Ok, g.SubmitAndWait(Valid(OpCode.Forward, session), Patience).Status);
    }

    [Fact]
    public void Fields_an_op_does_not_read_are_ignored()
    {
        using var rig = new Rig(new AesGcmDriver());
        var g = rig.Guest;
        var session = g.OpenSession(Key, 0, Patience);
        var nop = new SubmissionDescriptor { Tag = 1, Op = OpCode.Nop, Session = 0xDEAD, InSlot = 999, InLength = uint.MaxValue, OutSlot = 999, OutCapacity = uint.MaxValue };
        nop.Param[0] = 0xFF;
        Assert.Equal(OpStatus.Ok, g.SubmitAndWait(nop, Patience).Status);
        var close = new SubmissionDescriptor { Tag = 2, Op = OpCode.CloseSession, Session = session, InSlot = 999, OutSlot = 999, OutCapacity = 5 };
        Assert.Equal(OpStatus.Ok, g.SubmitAndWait(close, Patience).Status);
    }

    [Fact]
    public void An_unknown_op_is_unsupported_before_anything_else_is_checked()
    {
        using var rig = new Rig(new Sha256Driver());
        var d = new SubmissionDescriptor { Tag = 1, Op = (OpCode)77, Flags = 3, Reserved = 9 };
        Assert.Equal(OpStatus.Unsupported, rig.Guest.SubmitAndWait(d, Patience).Status);
    }

    [Fact]
    public void Bytes_in_counts_only_the_input_of_data_ops()
    {
        using var rig = new Rig(new Sha256Driver());
        var g = rig.Guest;
        for (var i = 0; i < 10; i++)
        {
            // A Nop does not read in_length: before the fix each one added 4 GiB to bytes_in.
            var nop = new SubmissionDescriptor { Tag = (ulong)i, Op = OpCode.Nop, InSlot = 1, InLength = uint.MaxValue };
            Assert.Equal(OpStatus.Ok, g.SubmitAndWait(nop, Patience).Status);
        }
        var close = new SubmissionDescriptor { Tag = 11, Op = OpCode.CloseSession, Session = 0x10001, InSlot = 1, InLength = 1000 };
        Assert.Equal(OpStatus.BadSession, g.SubmitAndWait(close, Patience).Status);
        Assert.Equal(0, rig.Engine.GetStats("q")!.BytesIn);
        // The ops that read their input count it: the key of OpenSession, the data of Forward.
        var key = new SubmissionDescriptor { Tag = 20, Op = OpCode.OpenSession, InSlot = 3, InLength = 32 };
        Assert.Equal(OpStatus.Ok, g.SubmitAndWait(key, Patience).Status);
        Assert.Equal(32, rig.Engine.GetStats("q")!.BytesIn);
        Assert.Equal(OpStatus.Ok, g.SubmitAndWait(Data(30, OpCode.Forward, 0, 1, 100, 2, 32), Patience).Status);
        Assert.Equal(132, rig.Engine.GetStats("q")!.BytesIn);
        Assert.Equal(32, rig.Engine.GetStats("q")!.BytesOut);
    }

    private static SubmissionDescriptor Valid(OpCode op, uint session) => op switch
    {
        OpCode.Nop => new SubmissionDescriptor { Tag = 1, Op = OpCode.Nop },
        OpCode.OpenSession => new SubmissionDescriptor { Tag = 2, Op = OpCode.OpenSession, InSlot = 3, InLength = 32 },
        OpCode.CloseSession => new SubmissionDescriptor { Tag = 3, Op = OpCode.CloseSession, Session = session },
        OpCode.Forward => Data(4, OpCode.Forward, session, 1, 64, 2, 128),
        _ => Data(5, OpCode.Inverse, session, 4, 64 + AeadDriver.TagSize, 2, 128),
    };
}
