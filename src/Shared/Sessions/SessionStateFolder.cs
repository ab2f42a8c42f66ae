using System.Security.Cryptography;
using System.Text;

namespace Paude.Sessions;

// Shared source (src/Shared): compiled into Paude.Sync (it keeps state there) and both built-in backends (deleting a
// session removes it), so both sides agree on one folder without a public type.
/// <summary>
/// What the host keeps about one session outside any workspace: <c>$XDG_STATE_HOME/paude/sessions/&lt;backend&gt;/</c>
/// (else <c>~/.local/state/...</c>), the sync lock file <c>&lt;session&gt;.sync.lock</c> and the folder
/// <c>&lt;session&gt;/</c> (two-way sync's bases in <c>two-way/</c>). The folder goes when the session is deleted; the lock
/// file stays (a sync may hold it right then, and an empty file costs nothing).
/// </summary>
internal static class SessionStateFolder
{
    /// <summary>The state folder of all sessions of the backend registered as <paramref name="backend"/>.</summary>
    public static string OfBackend(string backend)
    {
        ArgumentException.ThrowIfNullOrEmpty(backend);
        var stateHome = Environment.GetEnvironmentVariable("XDG_STATE_HOME");
        if (string.IsNullOrEmpty(stateHome))
        {
            stateHome = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "state");
        }

        // A backend name is the caller's registration name (any text): one that is not a plain file name is hashed.
        var folder = backend.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_') ? backend
            : "h-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(backend)))[..24];
        return Path.Combine(stateHome, "paude", "sessions", folder);
    }

    /// <summary>The state folder of <paramref name="session"/> (removed with the session).</summary>
    public static string Of(string backend, SessionName session) => Path.Combine(OfBackend(backend), session.Value);

    /// <summary>
    /// Removes the session's state folder after the session was deleted. Best effort: a folder that cannot be removed
    /// only costs disk space, and a later session of that name does not use what is in it (two-way bases carry the
    /// session's creation time); the reason is returned for the caller's log.
    /// </summary>
    public static string? Forget(string backend, SessionName session)
    {
        var folder = Of(backend, session);
        try
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }

            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"{folder}: {e.Message}";
        }
    }
}
