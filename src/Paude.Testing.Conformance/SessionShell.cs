using Paude.Execution;
using Paude.Sessions;

namespace Paude.Conformance;

/// <summary>Small helpers that run real commands in a session (argument vectors; values go in as positional args).</summary>
public static class SessionShell
{
    /// <summary>Runs <paramref name="command"/> and fails the test when it does not exit 0.</summary>
    public static async Task<string> CheckAsync(this ISessionBackend backend, SessionName name, params string[] command)
    {
        var result = await backend.ExecAsync(name, command);
        Assert.True(result.ExitCode == 0, $"'{string.Join(' ', command)}' exited {result.ExitCode}: {result.StandardError}{result.StandardOutput}");
        return result.StandardOutput;
    }

    /// <summary>
    /// Fetches <paramref name="url"/> with curl inside the session, using the proxy from the session's environment
    /// (or bypassing it). Returns curl's exit code, the HTTP status and the body.
    /// </summary>
    public static async Task<(int ExitCode, string Status, string Body)> CurlAsync(this ISessionBackend backend, SessionName name, string url, bool bypassProxy = false)
    {
        string[] command = bypassProxy
            ? ["curl", "-sS", "--max-time", "5", "--noproxy", "*", "-o", "/tmp/curl-body", "-w", "%{http_code}", url]
            : ["curl", "-sS", "--max-time", "10", "-o", "/tmp/curl-body", "-w", "%{http_code}", url];
        var result = await backend.ExecAsync(name, command);
        var body = await backend.ExecAsync(name, ["bash", "-c", "cat /tmp/curl-body 2>/dev/null; rm -f /tmp/curl-body"]);
        return (result.ExitCode, result.StandardOutput.Trim(), body.StandardOutput);
    }
}
