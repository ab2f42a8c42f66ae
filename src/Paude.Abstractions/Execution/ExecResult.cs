namespace Paude.Execution;

/// <summary>The outcome of a command run to completion with captured output.</summary>
/// <param name="ExitCode">The process exit code.</param>
/// <param name="StandardOutput">Captured stdout (UTF-8).</param>
/// <param name="StandardError">Captured stderr (UTF-8).</param>
public sealed record ExecResult(int ExitCode, string StandardOutput, string StandardError)
{
    /// <summary>Whether the exit code is 0.</summary>
    public bool Succeeded => ExitCode == 0;
}

/// <summary>Which stream a chunk of output came from.</summary>
public enum OutputKind
{
    /// <summary>Standard output.</summary>
    StandardOutput,

    /// <summary>Standard error.</summary>
    StandardError,
}

/// <summary>A chunk of process output.</summary>
/// <param name="Kind">Where it came from.</param>
/// <param name="Data">The bytes.</param>
public readonly record struct OutputChunk(OutputKind Kind, ReadOnlyMemory<byte> Data);
