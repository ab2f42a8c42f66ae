using Paude.Sessions;

namespace Paude.Sync;

/// <summary>
/// Continuous sync (ENHANCEMENT-001): watches a local workspace and pushes its changes to a session round after
/// round, with the same engine and safety as <see cref="ISessionSync"/>, and no external binary. Register with
/// <c>services.AddPaude().AddPaudeSync()</c>.
/// </summary>
public interface IContinuousSync
{
    /// <summary>
    /// Pushes <paramref name="workspace"/> to <paramref name="session"/> once, then again after every burst of local
    /// changes (debounced by <see cref="WatchSyncOptions.QuietPeriod"/>), yielding one
    /// <see cref="ContinuousSyncRound"/> per round. Never runs two rounds at once. A file changed on both sides since
    /// the last round is reported in <see cref="SyncResult.Conflicts"/> and left alone; a failed round (session
    /// stopped, exec dropped) is reported with its error and retried with back-off; the loop goes on in both cases.
    /// </summary>
    /// <param name="session">The session to push to.</param>
    /// <param name="workspace">The local workspace folder.</param>
    /// <param name="options">What to push and how often; validated before anything happens.</param>
    /// <param name="cancellationToken">
    /// Stops watching: the enumeration then ends without an exception. A round in flight may finish within
    /// <see cref="ContinuousSyncOptions.StopGracePeriod"/> (and is yielded), else it is cancelled the way
    /// <see cref="ISessionSync.SyncAsync"/> is; either way the workspace's sync lock is released.
    /// </param>
    /// <returns>The rounds, as they finish.</returns>
    /// <exception cref="Errors.InvalidOptionsException">The options or the workspace are invalid; nothing was changed.</exception>
    /// <exception cref="NotAGitRepositoryException">The strategy needs a git repository and the workspace is none.</exception>
    IAsyncEnumerable<ContinuousSyncRound> WatchToSessionAsync(SessionName session, string workspace, ContinuousSyncOptions options, CancellationToken cancellationToken = default);

    /// <summary>
    /// Starts two-way sync (issue 16): edits on either side appear on the other, through the session helper (one
    /// long-lived exec; injected from <see cref="TwoWaySyncOptions.HelperBinary"/> when the image lacks it). A file
    /// changed on both sides since they last agreed is settled by <see cref="TwoWaySyncOptions.ConflictPolicy"/> and
    /// reported once. A lost helper connection is re-made with back-off and the sync resumes without resending.
    /// </summary>
    /// <param name="session">The session.</param>
    /// <param name="workspace">The local workspace folder.</param>
    /// <param name="options">Policy, excludes and timings; validated before anything happens.</param>
    /// <param name="cancellationToken">Cancels starting (the first connection); stop a started sync by disposing it.</param>
    /// <returns>The running sync; the first round (initial) starts at once.</returns>
    /// <exception cref="Errors.InvalidOptionsException">The options or the workspace are invalid; nothing was changed.</exception>
    Task<ITwoWaySync> StartTwoWayAsync(SessionName session, string workspace, TwoWaySyncOptions options, CancellationToken cancellationToken = default);
}
