using Paude.Sessions;
using Paude.Sync;

namespace Paude.Conformance.Sync;

/// <summary>
/// What the shared sync scenarios need from a backend's test set-up: running sessions by logical name, the SDK's
/// sync over that backend, and a way to act as root inside a session (to plant hostile programs, which the
/// session contract rightly does not offer). Everything else goes through the session contract.
/// </summary>
public abstract class SyncSessions
{
    /// <summary>The backend under test.</summary>
    public abstract ISessionBackend Backend { get; }

    /// <summary>Paude.Sync over <see cref="Backend"/>.</summary>
    public abstract ISessionSync Sync { get; }

    /// <summary>A running session for the logical name (created once, reused); distinct names are distinct sessions.</summary>
    public abstract Task<SessionName> SessionAsync(string name);

    /// <summary>Runs a command as root in the session's agent container, outside the session contract.</summary>
    public abstract Task ExecAsRootAsync(SessionName session, Stream? stdin, params string[] argv);

    /// <summary>Runs a command in the session and fails the test unless it exits 0; returns its output.</summary>
    public virtual Task<string> ExecAsync(SessionName session, params string[] argv) => Backend.CheckAsync(session, argv);

    /// <summary>Runs git in a session workspace as an agent would (with an identity).</summary>
    public Task<string> GitAsync(SessionName session, string workspace, params string[] args) =>
        ExecAsync(session, ["git", "-C", workspace, "-c", "user.name=Agent", "-c", "user.email=agent@example.com", .. args]);

    /// <summary>Writes a file in a session workspace (content passed as an argument, not through a shell string).</summary>
    public Task WriteAsync(SessionName session, string workspace, string path, string content) =>
        ExecAsync(session, "bash", "-c", "mkdir -p -- \"$(dirname -- \"$1/$2\")\" && printf '%s' \"$3\" > \"$1/$2\"", "bash", workspace, path, content);

    /// <summary>Commits a change in the session: writes <paramref name="path"/>, commits it and returns the new HEAD.</summary>
    public async Task<string> CommitAsync(SessionName session, string workspace, string path, string content, string message)
    {
        await WriteAsync(session, workspace, path, content);
        await GitAsync(session, workspace, "add", "-A");
        await GitAsync(session, workspace, "commit", "-q", "-m", message);
        return (await GitAsync(session, workspace, "rev-parse", "HEAD")).Trim();
    }

    /// <summary>A workspace path inside the session unique to one test (sessions are shared between tests).</summary>
    public static string NewWorkspace() => $"/pvc/t-{Guid.NewGuid():N}"[..20];
}
