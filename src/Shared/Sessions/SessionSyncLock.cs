namespace Paude.Sessions;

// Shared source (src/Shared): compiled into Paude.Sync (every sync holds it) and both built-in backends (an upgrade
// refuses while it is held), so the two sides agree on one file without a public type.
/// <summary>
/// The per-session sync lock: a file under the user's state folder
/// (<c>$XDG_STATE_HOME/paude/sessions/&lt;backend&gt;/&lt;session&gt;.sync.lock</c>, else <c>~/.local/state/...</c>) opened
/// with <see cref="FileShare.None"/>, an OS-level lock (flock) that excludes other processes and is released when its
/// process dies, so a killed sync never leaves it held. Every sync holds it for its whole run (next to the workspace's
/// own lock, which is per local folder, not per session); an upgrade takes it without waiting and refuses when it is
/// held, then holds it itself so no sync starts while the containers are replaced. It sees syncs of this machine and
/// user only: a sync run elsewhere against the same cluster session is not visible here — for that a backend
/// implements <see cref="ISessionSyncExclusion"/> (the OpenShift backend's Lease), which syncs hold next to this lock.
/// </summary>
internal static class SessionSyncLock
{
    /// <summary>The lock file of <paramref name="session"/> on the backend registered as <paramref name="backend"/>.</summary>
    public static string PathFor(string backend, SessionName session) =>
        Path.Combine(SessionStateFolder.OfBackend(backend), session.Value + ".sync.lock");

    /// <summary>Takes the lock now, or returns <c>null</c> when another holder has it.</summary>
    public static FileStream? TryAcquire(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        try
        {
            return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None);
        }
        catch (IOException) when (File.Exists(path))
        {
            return null;
        }
    }

    /// <summary>
    /// Takes the lock for an upgrade of <paramref name="session"/>: now or never (an upgrade does not queue behind a
    /// sync); a held lock is <see cref="Paude.Sync.SessionSyncInProgressException"/> naming the lock file.
    /// </summary>
    public static FileStream HoldForUpgrade(string backend, SessionName session)
    {
        var path = PathFor(backend, session);
        return TryAcquire(path) ?? throw new Paude.Sync.SessionSyncInProgressException(session.Value, path);
    }

    /// <summary>Takes the lock, retrying every 50 ms; <c>null</c> when it is still held after <paramref name="timeout"/>.</summary>
    public static async Task<FileStream?> AcquireAsync(string path, TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (TryAcquire(path) is { } held)
            {
                return held;
            }

            if (time.GetElapsedTime(started) >= timeout)
            {
                return null;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50), time, cancellationToken).ConfigureAwait(false);
        }
    }
}
