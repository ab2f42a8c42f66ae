using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Paude.Testing.Kubernetes.Runtime;

/// <summary>
/// Resizes the pseudo-terminal of one <c>podman exec -t</c> session. The podman CLI has no resize command for an exec
/// session, so this does what podman's own API does: it writes <c>"&lt;rows&gt; &lt;cols&gt;\n"</c> to the session's
/// <c>winsz</c> FIFO, which conmon reads and applies to the pty (the exec'd process sees the size and gets SIGWINCH).
/// The session is the one that appeared after <see cref="PrepareAsync"/> in the container's static directory and whose
/// process spec has our argument vector.
/// </summary>
internal sealed class ExecTerminal(PodmanCli podman, string container, IReadOnlyList<string> command)
{
    private static readonly TimeSpan FindTimeout = TimeSpan.FromSeconds(10);
    private string? _staticDir;
    private HashSet<string> _before = [];
    private string? _winsz;

    /// <summary>Remembers the exec sessions that exist before ours starts.</summary>
    public async Task PrepareAsync(CancellationToken ct)
    {
        var (code, stdout, _) = await podman.RunAsync(["inspect", "--type", "container", "--format", "{{.StaticDir}}", container], ct).ConfigureAwait(false);
        _staticDir = code == 0 ? stdout.Trim() : null;
        _before = Sessions().ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>Applies a terminal size; waits (bounded) for the session to appear, since clients resize right away.</summary>
    public async Task ResizeAsync(int width, int height, CancellationToken ct)
    {
        if (width <= 0 || height <= 0 || _staticDir is null)
        {
            return;
        }

        var deadline = Environment.TickCount64 + (long)FindTimeout.TotalMilliseconds;
        while (_winsz is null && Environment.TickCount64 < deadline)
        {
            _winsz = Sessions().Where(s => !_before.Contains(s)).Select(s => Path.Combine(_staticDir, s)).FirstOrDefault(IsOurs) is { } dir
                ? Path.Combine(dir, "winsz")
                : null;
            if (_winsz is null)
            {
                await Task.Delay(50, ct).ConfigureAwait(false);
            }
        }

        if (_winsz is null)
        {
            return;
        }

        // Opened read-write so the open never blocks on a FIFO whose reader (conmon) is gone.
        try
        {
            using var fifo = new FileStream(_winsz, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite, 1, FileOptions.None);
            await fifo.WriteAsync(Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{height} {width}\n")), ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The session ended meanwhile.
        }
    }

    private IEnumerable<string> Sessions() =>
        _staticDir is null || !Directory.Exists(_staticDir)
            ? []
            : Directory.EnumerateDirectories(_staticDir).Select(Path.GetFileName).Where(n => n is { Length: 64 } && n.All(char.IsAsciiHexDigitLower)).Select(n => n!);

    private bool IsOurs(string sessionDir)
    {
        if (!File.Exists(Path.Combine(sessionDir, "winsz")))
        {
            return false;
        }

        foreach (var spec in Directory.EnumerateFiles(sessionDir, "exec-process-*"))
        {
            try
            {
                var args = JsonNode.Parse(File.ReadAllText(spec))?["args"] as JsonArray;
                if (args is not null && args.Select(a => a?.GetValue<string>()).SequenceEqual(command))
                {
                    return true;
                }
            }
            catch (Exception e) when (e is IOException or System.Text.Json.JsonException or InvalidOperationException)
            {
                // Being written or removed: look again on the next round.
            }
        }

        return false;
    }
}
