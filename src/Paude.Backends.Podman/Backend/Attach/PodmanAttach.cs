using System.Text;
using System.Text.RegularExpressions;
using Paude.Backends.Podman.Cli;
using Paude.Errors;
using Paude.Scripting;
using Paude.Sessions;

namespace Paude.Backends.Podman.Backend.Attach;

/// <summary>
/// Attach on Podman over any <see cref="IAttachTerminal"/>: <c>podman exec -it</c> with piped stdio gives the session
/// a pseudo-terminal of its own (podman needs no local terminal for that), the bytes are pumped by
/// <see cref="AttachPump"/>, and each size is applied with <c>stty -F</c> on that pseudo-terminal from a second exec
/// (podman's CLI has no resize command; it only forwards its own terminal's SIGWINCH). The session-side script and
/// its one-line protocol are in <c>Scripts/attach-tty.sh</c>.
/// </summary>
internal sealed partial class PodmanAttach(IPodmanClient podman, string agentContainer)
{
    private const string Prefix = "paude-tty ";

    // The first line comes from the session: bounded, and only a /dev/pts path is ever passed back to stty.
    private const int MaxFirstLine = 256;

    private static readonly Lazy<string> Script = new(() => SessionScript.Load("attach-tty.sh"));

    /// <summary>Runs the attach until the attach process ends; returns its exit code.</summary>
    public async Task<int> RunAsync(IAttachTerminal terminal, Func<CancellationToken, Task> onPodmanFailure, CancellationToken cancellationToken)
    {
        var process = await podman.StartAsync(["exec", "-it", agentContainer, "sh", "-c", Script.Value, "paude-attach-tty"], redirectStdin: true, cancellationToken).ConfigureAwait(false);
        process.OnPodmanFailure(onPodmanFailure);
        await using (process.ConfigureAwait(false))
        {
            var tty = await ReadTtyAsync(process.StandardOutput, cancellationToken).ConfigureAwait(false);
            if (tty is null)
            {
                // The attach ended (or never started) before its first line: the exit code (and the failure
                // handler for podman's own codes) tells why.
                return await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            }

            // Killing the local `podman exec` leaves the tmux client running in the container (podman 4.3): a
            // cancelled attach kills what runs on its pseudo-terminal (the client; the tmux session stays).
            process.OnKill(async () =>
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                await podman.RunAsync(["exec", agentContainer, "pkill", "-KILL", "-t", tty["/dev/".Length..]], null, timeout.Token).ConfigureAwait(false);
            });
            using var raw = terminal.EnterRawMode();
            var pump = new AttachPump(process, (size, ct) => ResizeAsync(tty, size, ct));
            return await pump.RunAsync(terminal.Input, terminal.Output, terminal.SizesAsync(cancellationToken), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The pseudo-terminal named by line 1; <c>null</c> when the output ended first.</summary>
    private static async Task<string?> ReadTtyAsync(Stream output, CancellationToken cancellationToken)
    {
        var line = new List<byte>();
        var one = new byte[1];
        while (line.Count <= MaxFirstLine)
        {
            // Byte by byte: whatever follows line 1 belongs to the terminal and must stay in the stream.
            if (await output.ReadAsync(one, cancellationToken).ConfigureAwait(false) == 0)
            {
                return null;
            }

            if (one[0] == (byte)'\n')
            {
                var text = Encoding.ASCII.GetString(line.ToArray()).TrimEnd('\r');
                return text.StartsWith(Prefix, StringComparison.Ordinal) && PtsPath().IsMatch(text[Prefix.Length..])
                    ? text[Prefix.Length..]
                    : throw new BackendOperationException("Backend 'podman': the attach process did not name its terminal (is the session's image a Paude image?)");
            }

            line.Add(one[0]);
        }

        throw new BackendOperationException("Backend 'podman': the attach process's first line is too long");
    }

    private async ValueTask ResizeAsync(string tty, TerminalSize size, CancellationToken cancellationToken)
    {
        // A failed resize (the attach just ended) changes nothing worth an error: the attach's own end reports it.
        await podman.RunAsync(
            ["exec", agentContainer, "stty", "-F", tty, "rows", size.Height.ToString(System.Globalization.CultureInfo.InvariantCulture), "cols", size.Width.ToString(System.Globalization.CultureInfo.InvariantCulture)],
            null,
            cancellationToken).ConfigureAwait(false);
    }

    [GeneratedRegex("^/dev/pts/[0-9]{1,9}$", RegexOptions.CultureInvariant)]
    private static partial Regex PtsPath();
}
