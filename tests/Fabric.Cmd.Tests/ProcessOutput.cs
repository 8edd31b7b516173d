using System.Diagnostics;
using System.Text;

namespace Fabric.Cmd.Tests;

/// <summary>Collects a long-running process's output as it comes, so a test can wait for a line without blocking on the end.</summary>
public sealed class ProcessOutput
{
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();

    public ProcessOutput(Process process)
    {
        process.OutputDataReceived += (_, e) => Append(_stdout, e.Data);
        process.ErrorDataReceived += (_, e) => Append(_stderr, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Stdout
    {
        get
        {
            lock (_stdout)
            {
                return _stdout.ToString();
            }
        }
    }

    public override string ToString()
    {
        lock (_stderr)
        {
            return $"{Stdout}\n{_stderr}";
        }
    }

    private static void Append(StringBuilder to, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (to)
        {
            to.AppendLine(line);
        }
    }
}
