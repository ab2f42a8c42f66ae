namespace Paude.Sessions;

/// <summary>
/// Optional, implemented by a backend whose sessions can be synced from more than one machine (a cluster): the
/// session's sync exclusion, which every sync holds for its run (next to the local lock file, which sees only this
/// machine) and an upgrade takes now or never, so an upgrade run anywhere refuses while a sync runs anywhere.
/// Paude.Sync calls it when the backend implements it; a backend whose sessions live on one machine does not need it.
/// </summary>
public interface ISessionSyncExclusion
{
    /// <summary>
    /// Takes the session's sync exclusion for a sync, waiting up to <paramref name="wait"/> while another holder (a sync
    /// elsewhere, an upgrade) has it, and holds it (renewed) until the returned handle is disposed. Re-entrant for syncs
    /// through the same backend instance: a continuous sync holds it for its run and each of its rounds takes it again.
    /// </summary>
    /// <param name="name">The session.</param>
    /// <param name="wait">How long to wait for another holder to let go.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The hold; disposing it releases the exclusion.</returns>
    /// <exception cref="Sync.SyncLockedException">Another holder still had it after <paramref name="wait"/> (names the holder).</exception>
    /// <exception cref="Errors.SessionNotFoundException">The session does not exist (deleted, perhaps while waiting): nothing is held.</exception>
    Task<IAsyncDisposable> HoldForSyncAsync(SessionName name, TimeSpan wait, CancellationToken cancellationToken = default);
}
