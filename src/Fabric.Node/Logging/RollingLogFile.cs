namespace Fabric.Node.Logging;

/// <summary>
/// An append-only log file capped at <c>maxBytes</c>: when a line would pass the cap the file becomes <c>.1</c>
/// (older ones <c>.2</c> .. <c>.keep</c>, the oldest dropped), so the logs of a long-running node take bounded space.
/// </summary>
public sealed class RollingLogFile(string path, long maxBytes, int keep) : IDisposable
{
    private StreamWriter? _writer;
    private long _length;

    public string Path => path;

    public void Write(string line)
    {
        var writer = _writer ??= Open();
        if (_length > 0 && _length + line.Length + 1 > maxBytes)
        {
            Roll();
            writer = _writer = Open();
        }

        writer.WriteLine(line);
        _length += System.Text.Encoding.UTF8.GetByteCount(line) + 1;
    }

    public void Dispose()
    {
        _writer?.Dispose();
        _writer = null;
    }

    private StreamWriter Open()
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
        var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
        _length = stream.Length;
        // Flushed per line: a node killed with SIGKILL leaves its last words in the file.
        return new StreamWriter(stream) { AutoFlush = true };
    }

    private void Roll()
    {
        _writer?.Dispose();
        _writer = null;
        for (var i = keep; i >= 1; i--)
        {
            var from = i == 1 ? path : $"{path}.{i - 1}";
            if (File.Exists(from))
            {
                File.Move(from, $"{path}.{i}", overwrite: true);
            }
        }

        if (keep < 1)
        {
            File.Delete(path);
        }
    }
}
