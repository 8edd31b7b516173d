using System.Buffers.Binary;
using System.Text;
using Fabric.Dataplane.Channel;
using Fabric.Dataplane.Drivers;
using Fabric.Dataplane.Engine;
using Fabric.Dataplane.Guest;
using static Fabric.Dataplane.Tests.TestSupport;

namespace Fabric.Dataplane.Tests.Channel;

/// <summary>ABI v2: the header says which function serves the channel and the queue's deadline (docs/channel-abi.md).</summary>
public class ServiceHeaderTests
{
    [Fact]
    public void The_AC_writes_the_function_and_the_deadline_and_the_guest_reads_them()
    {
        var deadline = TimeSpan.FromMilliseconds(250);
        using var rig = new Rig(GDriverCatalog.Create("deflate->aes-256-gcm->sha256"), queue: new QueueOptions { OpDeadline = deadline });
        var g = rig.Guest;
        Assert.Equal(2u, g.AbiVersion);
        Assert.Equal("deflate->aes-256-gcm->sha256", g.Function);
        Assert.Equal(deadline, g.OpDeadline);

        // The bytes a guest in another language reads: offsets and encodings as the doc gives them.
        using var raw = ChannelFile.OpenExisting(rig.Path);
        var header = raw.AsSpan()[..ChannelLayout.HeaderSize];
        Assert.Equal(2u, BinaryPrimitives.ReadUInt32LittleEndian(header[8..]));
        var length = (int)BinaryPrimitives.ReadUInt32LittleEndian(header[92..]);
        Assert.Equal(250_000_000ul, BinaryPrimitives.ReadUInt64LittleEndian(header[96..]));
        Assert.Equal("deflate->aes-256-gcm->sha256", Encoding.ASCII.GetString(header.Slice(1024, length)));
        Assert.True(header.Slice(1024 + length, 256 - length).IndexOfAnyExcept((byte)0) < 0, "the name is zero-padded");
    }

    [Fact]
    public void A_v1_channel_still_opens_and_tells_no_function_or_deadline()
    {
        var path = NewChannelPath();
        try
        {
            // A v1 header: what an older node wrote (version 1, the v2 fields reserved and zero).
            using (var file = ChannelFile.Create(path, new ChannelGeometry(8, 8, 2, 4096)))
            {
                file.WriteU32(ChannelLayout.AbiVersionOffset, 1);
                file.SetState(ChannelState.Active);
            }
            using var g = GuestChannel.Open(path);
            Assert.Equal(1u, g.AbiVersion);
            Assert.Null(g.Function);
            Assert.Null(g.OpDeadline);
            Assert.Equal(8, g.SqEntries);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(3u)]
    public void A_version_the_library_does_not_speak_is_refused_saying_which_it_speaks(uint version)
    {
        var path = NewChannelPath();
        try
        {
            using (var file = ChannelFile.Create(path, new ChannelGeometry(8, 8, 2, 4096)))
            {
                file.WriteU32(ChannelLayout.AbiVersionOffset, version);
            }
            var e = Assert.Throws<InvalidDataException>(() => GuestChannel.Open(path));
            Assert.Contains($"ABI version {version}, this library speaks 1 to 2", e.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Before_the_channel_is_Active_the_guest_is_told_nothing_rather_than_a_half_written_name()
    {
        var path = NewChannelPath();
        try
        {
            using var file = ChannelFile.Create(path, new ChannelGeometry(8, 8, 2, 4096));
            using var g = GuestChannel.Open(path);
            Assert.Equal(ChannelState.Created, g.State);
            Assert.Null(g.Function);
            Assert.Null(g.OpDeadline);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_corrupt_function_length_reads_as_unknown_not_as_memory_past_the_field()
    {
        using var rig = new Rig(new Sha256Driver());
        using var raw = ChannelFile.OpenExisting(rig.Path);
        raw.WriteU32(ChannelLayout.FunctionLengthOffset, 5000);
        Assert.Null(rig.Guest.Function);
    }

    [Fact]
    public void A_function_name_too_long_for_the_header_is_refused_when_the_queue_is_added()
    {
        using var engine = new AccelerationEngine(QuickOptions());
        var path = NewChannelPath();
        try
        {
            var channel = ChannelFile.Create(path, new ChannelGeometry(8, 8, 2, 4096));
            var name = string.Join("->", Enumerable.Repeat("sha256", 40));
            var e = Assert.Throws<ArgumentException>(() => { _ = engine.AddQueue("q", channel, GDriverCatalog.Create(name)); });
            Assert.Contains("to fit the channel header", e.Message);
            channel.Dispose();
        }
        finally
        {
            File.Delete(path);
        }
    }
}
