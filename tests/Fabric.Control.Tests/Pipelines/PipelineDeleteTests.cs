using Fabric.Control.Tests.Support;
using Fabric.Messages.Attachments;
using Fabric.Messages.Errors;
using Fabric.Messages.Pipelines;
using Fabric.Messages.Profiles;
using Xunit;

namespace Fabric.Control.Tests.Pipelines;

public sealed class PipelineDeleteTests
{
    [Fact]
    public async Task A_delete_answers_the_deleted_view_its_retry_the_same_and_a_new_delete_not_found()
    {
        await using var node = await TestNode.StartAsync();
        await node.RegisterDevice("test-host", "sw0", 2, "aes-256-gcm");
        await node.CreateProfile("pipe", new ProfileGroup("aes-256-gcm", 1));
        await node.AwaitPlacementSeesDevices(1);
        await node.Expect<AttachmentView>(node.Control.Attachments, new CreateAttachment("arq-p", "vm-p", "pipe", "c"));
        await node.Expect<AttachmentView>(node.Control.Attachments, new BindAttachment("arq-p", "test-host", "b"));
        var defined = await node.Expect<PipelineView>(node.Control.Pipelines, new DefinePipeline("arq-p/seal", "arq-p", ["aes-256-gcm"], "d"));
        Assert.True(defined.Exists);

        var deleted = await node.Expect<PipelineView>(node.Control.Pipelines, new DeletePipeline("arq-p/seal", "x"));
        var retried = await node.Expect<PipelineView>(node.Control.Pipelines, new DeletePipeline("arq-p/seal", "x"));

        Assert.False(deleted.Exists);
        Assert.Equal("arq-p/seal", deleted.PipelineId);
        Assert.False(retried.Exists);
        await node.ExpectRejected(node.Control.Pipelines, new DeletePipeline("arq-p/seal", "y"), RejectReason.NotFound);
        await node.ExpectRejected(node.Control.Pipelines, new GetPipeline("arq-p/seal"), RejectReason.NotFound);
    }
}
