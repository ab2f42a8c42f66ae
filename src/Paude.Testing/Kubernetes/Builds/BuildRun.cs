namespace Paude.Testing.Kubernetes.Builds;

/// <summary>One running or finished binary build: its directory, its log file, and when it ends.</summary>
internal sealed class BuildRun(string directory)
{
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string Directory { get; } = directory;

    public string ContextDirectory => Path.Combine(Directory, "context");

    public string LogPath => Path.Combine(Directory, "build.log");

    /// <summary>Completes when the build reached Complete, Failed or Cancelled (the log is then whole).</summary>
    public Task Finished => _done.Task;

    public void Finish() => _done.TrySetResult();

    public async Task AppendLogAsync(string line, CancellationToken ct) =>
        await File.AppendAllTextAsync(LogPath, line + "\n", ct).ConfigureAwait(false);
}
