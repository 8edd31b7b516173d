using Fabric.Api.Hosting;
using Fabric.Messages.Attachments;
using Fabric.Vim.Client;
using Microsoft.Extensions.Options;

namespace Fabric.Api.Requests;

/// <summary>Runs <see cref="Binder.Sweep"/> every <see cref="ApiOptions.BindSweepInterval"/> once the fabric is connected.</summary>
public sealed class BindSweeper(FabricConnection fabric, Binder binder, IOptions<ApiOptions> options, ILogger<BindSweeper> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = options.Value.BindSweepInterval;
        if (interval <= TimeSpan.Zero)
        {
            return;
        }

        IReadOnlyDictionary<string, AttachmentStatus> seen = new Dictionary<string, AttachmentStatus>();
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                if (!fabric.Connected)
                {
                    continue;
                }

                try
                {
                    seen = await binder.Sweep(seen, stoppingToken);
                }
                catch (Exception ex) when (ex is FabricRejectedException or FabricUnreachableException or InvalidOperationException)
                {
                    log.LogWarning("the sweep for binds left by a stopped fabric-api did not finish: {Problem}", ex.Message);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
