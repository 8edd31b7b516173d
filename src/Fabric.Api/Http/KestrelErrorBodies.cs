using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Fabric.Api.Http;

/// <summary>
/// Kestrel refuses some requests itself, before any middleware runs (a malformed request line, a URI too long (414), headers
/// too large (431), a <c>%00</c> in the path, ...), and answers them with an empty body and <c>Connection: close</c>. Cyborg's
/// clients expect an error body; this connection middleware gives those answers Cyborg's body (<see cref="ApiError"/>'s
/// format). Kestrel has no hook for their body, so the connection's output is looked at: a response written at once whose status
/// is 4xx or 5xx with <c>Content-Length: 0</c> and <c>Connection: close</c> is Kestrel's refusal (fabric-api's own errors always
/// have a body). Plaintext listeners only: behind TLS the bytes are encrypted and pass unchanged.
/// </summary>
public static class KestrelErrorBodies
{
    public static void Use(ListenOptions listen) => listen.Use(next => context =>
    {
        context.Transport = new Pipe(context.Transport);
        return next(context);
    });

    private static readonly byte[] StatusLine = "HTTP/1.1 "u8.ToArray();
    private static readonly byte[] EmptyLength = "\r\nContent-Length: 0\r\n"u8.ToArray();
    private static readonly byte[] Close = "\r\nConnection: close\r\n"u8.ToArray();
    private static readonly byte[] HeadersEnd = "\r\n\r\n"u8.ToArray();

    /// <summary>The response with Cyborg's body, or null when <paramref name="response"/> is not a bodiless refusal of Kestrel's.</summary>
    public static byte[]? Rewrite(ReadOnlySpan<byte> response)
    {
        // Kestrel's refusal is a status line and four short headers; anything longer is an answer of the API.
        if (response.Length > 1024 || !response.StartsWith(StatusLine) || response.Length < StatusLine.Length + 3 || !response.EndsWith(HeadersEnd))
        {
            return null;
        }

        var code = response.Slice(StatusLine.Length, 3);
        if (code[0] is not ((byte)'4' or (byte)'5') || !char.IsAsciiDigit((char)code[1]) || !char.IsAsciiDigit((char)code[2]))
        {
            return null;
        }

        // One header block only (nothing after it), with an empty body that closes the connection.
        var headers = response[..^2];
        if (response.IndexOf(HeadersEnd) != response.Length - HeadersEnd.Length || headers.IndexOf(EmptyLength) < 0 || headers.IndexOf(Close) < 0)
        {
            return null;
        }

        var status = (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
        var body = Encoding.UTF8.GetBytes(ApiError.Body(status, Message(status)));
        var head = Encoding.ASCII.GetString(headers[..^2]).Replace("\r\nContent-Length: 0\r\n",
            $"\r\nContent-Length: {body.Length}\r\nContent-Type: application/json\r\n", StringComparison.Ordinal);
        return [.. Encoding.ASCII.GetBytes(head + "\r\n\r\n"), .. body];
    }

    private static string Message(int status) => status switch
    {
        400 => "Bad Request: the request line or headers are malformed (refused by the HTTP server before the API read it)",
        408 => "Request Timeout: the request was not received in time",
        413 => "Payload Too Large: the request body is larger than the server takes",
        414 => "URI Too Long: the request line is longer than the server takes; shorten the path or query",
        431 => "Request Header Fields Too Large: the request headers are larger than the server takes",
        505 => "HTTP Version Not Supported",
        _ => $"the HTTP server refused the request with status {status}",
    };

    /// <summary>The connection's pipe with an output that holds each flush's bytes, to rewrite Kestrel's bodiless refusals.</summary>
    private sealed class Pipe(IDuplexPipe inner) : IDuplexPipe
    {
        public PipeReader Input { get; } = inner.Input;

        public PipeWriter Output { get; } = new Writer(inner.Output);
    }

    private sealed class Writer(PipeWriter inner) : PipeWriter
    {
        private const int InitialSize = 4096;

        // A connection keeps at most this much between responses: a large list answered once is not held for the connection's life.
        private const int KeptSize = 64 * 1024;

        private ArrayBufferWriter<byte> _pending = new(InitialSize);

        public override void Advance(int bytes) => _pending.Advance(bytes);

        public override Memory<byte> GetMemory(int sizeHint = 0) => _pending.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0) => _pending.GetSpan(sizeHint);

        public override void CancelPendingFlush() => inner.CancelPendingFlush();

        public override void Complete(Exception? exception = null)
        {
            Forward();
            inner.Complete(exception);
        }

        public override async ValueTask CompleteAsync(Exception? exception = null)
        {
            if (_pending.WrittenCount > 0)
            {
                Forward();
                await inner.FlushAsync();
            }

            await inner.CompleteAsync(exception);
        }

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
        {
            Forward();
            return inner.FlushAsync(cancellationToken);
        }

        private void Forward()
        {
            if (_pending.WrittenCount == 0)
            {
                return;
            }

            var written = _pending.WrittenSpan;
            inner.Write(Rewrite(written) is { } rewritten ? rewritten : written);
            if (_pending.Capacity > KeptSize)
            {
                _pending = new ArrayBufferWriter<byte>(InitialSize);
            }
            else
            {
                _pending.ResetWrittenCount();
            }
        }
    }
}
