namespace Paude.Backends.Podman.Cli;

/// <summary>
/// The one seam between the backend and the Podman engine. Every call is an argument vector (never a shell
/// string) and every answer the backend parses is structured (<c>--format json</c>, exit codes), so a REST
/// implementation could replace the CLI one without touching the backend.
/// </summary>
internal interface IPodmanClient
{
    /// <summary>
    /// Runs <c>podman &lt;arguments&gt;</c> to completion and captures its output. <paramref name="writeStdin"/>,
    /// when given, streams the process's stdin (closed when it returns); otherwise stdin is closed at once.
    /// </summary>
    Task<PodmanResult> RunAsync(IReadOnlyList<string> arguments, Func<Stream, CancellationToken, Task>? writeStdin, CancellationToken cancellationToken);

    /// <summary>Starts <c>podman &lt;arguments&gt;</c> with streaming stdio; disposing the result kills it if it still runs.</summary>
    Task<PodmanProcess> StartAsync(IReadOnlyList<string> arguments, bool redirectStdin, CancellationToken cancellationToken);
}

/// <summary>The outcome of a podman command run to completion.</summary>
internal sealed record PodmanResult(int ExitCode, string StandardOutput, string StandardError)
{
    public bool Succeeded => ExitCode == 0;
}
