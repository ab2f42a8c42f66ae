using Paude.Conformance;
using Paude.Sessions;

namespace Paude.Backends.OpenShift.Tests.Sync;

/// <summary>What an agent does in an OpenShift session, through the backend's own exec (argument vectors only).</summary>
internal static class SessionWork
{
    public static Task<string> GitAsync(this ISessionBackend backend, SessionName session, string workspace, params string[] args) =>
        backend.CheckAsync(session, ["git", "-C", workspace, "-c", "user.name=Agent", "-c", "user.email=agent@example.com", .. args]);

    public static Task WriteAsync(this ISessionBackend backend, SessionName session, string workspace, string path, string content) =>
        backend.CheckAsync(session, "bash", "-c", "mkdir -p -- \"$(dirname -- \"$1/$2\")\" && printf '%s' \"$3\" > \"$1/$2\"", "bash", workspace, path, content);

    public static async Task<string> CommitAsync(this ISessionBackend backend, SessionName session, string workspace, string path, string content, string message)
    {
        await backend.WriteAsync(session, workspace, path, content);
        await backend.GitAsync(session, workspace, "add", "-A");
        await backend.GitAsync(session, workspace, "commit", "-q", "-m", message);
        return (await backend.GitAsync(session, workspace, "rev-parse", "HEAD")).Trim();
    }

    /// <summary>A workspace path inside the session unique to one test.</summary>
    public static string NewWorkspace() => $"/pvc/t-{Guid.NewGuid():N}"[..20];
}
