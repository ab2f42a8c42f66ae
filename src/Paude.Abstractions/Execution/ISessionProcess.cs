namespace Paude.Execution;

/// <summary>
/// A process running inside a session. Read <see cref="StandardOutput"/> and <see cref="StandardError"/>
/// concurrently (or not at all): a full pipe blocks the process. Disposing kills a process that still runs.
/// </summary>
public interface ISessionProcess : IAsyncDisposable
{
    /// <summary>The process's stdin; dispose it to send end-of-file. <see cref="Stream.Null"/> when not redirected.</summary>
    Stream StandardInput { get; }

    /// <summary>The process's stdout.</summary>
    Stream StandardOutput { get; }

    /// <summary>The process's stderr.</summary>
    Stream StandardError { get; }

    /// <summary>Waits for the process to end and returns its exit code.</summary>
    Task<int> WaitForExitAsync(CancellationToken cancellationToken = default);
}
