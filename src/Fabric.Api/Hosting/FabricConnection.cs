using Fabric.Api.Http;
using Fabric.Security;
using Fabric.Vim.Client;
using Microsoft.Extensions.Options;

namespace Fabric.Api.Hosting;

/// <summary>
/// fabric-api's two cluster-client connections: the VIM gateway (everything Cyborg does) and the operator gateway
/// (dataplane figures and pipeline lists). Connects in the background and keeps trying, so that the API starts (and answers
/// 503 with the reason) while the fabric is not up yet.
/// </summary>
public sealed class FabricConnection(IOptions<ApiOptions> options, ILogger<FabricConnection> log) : BackgroundService
{
    private const string OperatorGateway = "/user/operator-gateway";
    private readonly ApiOptions _options = options.Value;
    private volatile FabricVimClient? _vim;
    private volatile FabricVimClient? _operator;
    private volatile string _problem = "connecting to the fabric";

    /// <summary>The VIM gateway; a 503 (with why) while there is no connection.</summary>
    public FabricVimClient Vim => _vim ?? throw Unavailable();

    public FabricVimClient Operator => _operator ?? throw Unavailable();

    public bool Connected => _vim is not null && _operator is not null;

    private ApiError Unavailable() => new(StatusCodes.Status503ServiceUnavailable, $"fabric-api has no connection to the fabric at {_options.Contacts} yet ({_problem}); retry shortly");

    protected override async Task ExecuteAsync(CancellationToken stopping)
    {
        ClusterTls? tls;
        try
        {
            tls = _options.LoadTls();
        }
        catch (Exception ex) when (ex is ClusterTlsException or LocalTlsException)
        {
            _problem = ex.Message;
            log.LogError("cannot connect to the fabric: {Problem}", ex.Message);
            return;
        }

        while (!stopping.IsCancellationRequested && !Connected)
        {
            try
            {
                _vim ??= await FabricVimClient.ConnectAsync(_options.Contacts, _options.RequestTimeout, tls, _options.Attempts, stopping);
                _operator ??= await FabricVimClient.ConnectAsync(_options.Contacts, OperatorGateway, _options.RequestTimeout, _options.Attempts, tls, stopping);
                log.LogInformation("connected to the fabric at {Contacts}", _options.Contacts);
            }
            catch (Exception ex) when (ex is FabricUnreachableException or ContactPointException)
            {
                _problem = ex.Message;
                log.LogWarning("no fabric yet: {Problem}", ex.Message);
                if (ex is ContactPointException)
                {
                    return;
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (_vim is { } vim)
        {
            await vim.DisposeAsync();
        }

        if (_operator is { } op)
        {
            await op.DisposeAsync();
        }
    }
}
