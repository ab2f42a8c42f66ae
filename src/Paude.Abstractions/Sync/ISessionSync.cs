using Paude.Sessions;

namespace Paude.Sync;

/// <summary>
/// Moves commits and files between a local workspace and a session without losing work. Works over any backend's
/// exec and file channel. Register with <c>services.AddPaude().AddPaudeSync()</c>.
/// </summary>
public interface ISessionSync
{
    /// <summary>
    /// Syncs <paramref name="workspace"/> (a local folder, usually a git repository) with <paramref name="session"/>.
    /// Syncs of the same repository are serialised across processes.
    /// </summary>
    /// <param name="session">The session (must be running).</param>
    /// <param name="workspace">The local workspace folder.</param>
    /// <param name="options">Strategy, direction and safety switches; validated before anything happens.</param>
    /// <param name="progress">Receives progress reports, or <c>null</c>.</param>
    /// <param name="cancellationToken">Cancels the sync; the workspace is then as before or as after, never half-written.</param>
    /// <returns>What was (or, for a dry run, would be) changed.</returns>
    /// <exception cref="Errors.InvalidOptionsException">The options are invalid; nothing was changed.</exception>
    /// <exception cref="UnsafeSyncException">Work would be lost and <see cref="SyncOptions.Force"/> is off; nothing was changed.</exception>
    /// <exception cref="SyncConflictException">A merge conflicts; it was aborted and nothing was changed.</exception>
    /// <exception cref="NotAGitRepositoryException">The strategy needs git on a side that has no repository.</exception>
    /// <exception cref="SyncLockedException">Another sync of the same repository did not finish in time.</exception>
    Task<SyncResult> SyncAsync(SessionName session, string workspace, SyncOptions options, IProgress<SyncProgress>? progress = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// What <paramref name="session"/> holds that was never synced back into <paramref name="workspace"/>: commits no
    /// local ref reaches, and working files whose content the workspace does not have (excludes apply). Read-only on
    /// both sides; uses only the session's exec channel, so it works on every backend. Check it before deleting a
    /// session.
    /// </summary>
    /// <param name="session">The session (must be running).</param>
    /// <param name="workspace">The local workspace folder.</param>
    /// <param name="options">Where the session's workspace is and the excludes (<see cref="SyncOptions.SessionWorkspace"/>,
    /// <see cref="SyncOptions.Excludes"/>); the defaults when <c>null</c>.</param>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <exception cref="Errors.InvalidOptionsException">The options or the workspace are invalid.</exception>
    Task<UnsyncedWork> FindUnsyncedWorkAsync(SessionName session, string workspace, SyncOptions? options = null, CancellationToken cancellationToken = default);
}
