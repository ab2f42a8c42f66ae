using Paude.Egress;
using Paude.Errors;

namespace Paude.Backends.Podman.Backend;

/// <summary>Waiting for the proxy to serve, not only to run.</summary>
internal sealed partial class PodmanBackend
{
    /// <summary>
    /// Waits until squid accepts connections. 'podman run -d' returns once the container's process started, and squid
    /// parses its config before it listens (a second or more on a loaded machine, measured in CI): an agent making its
    /// first request right after Create or Start would otherwise get "connection refused" instead of the proxy's answer.
    /// A proxy that exits instead (bad config, crash) fails fast with its log tail rather than at the ready timeout.
    /// </summary>
    private async Task WaitProxyListeningAsync(PodmanNames names, CancellationToken cancellationToken)
    {
        var delay = TimeSpan.FromMilliseconds(50);
        while (true)
        {
            var probe = await RunAsync(["exec", names.Proxy, .. SquidConfig.ListeningProbe], cancellationToken).ConfigureAwait(false);
            if (probe.Succeeded)
            {
                return;
            }

            // 1 = refused (squid not listening yet); anything else is podman failing to exec: is the proxy still running?
            if (probe.ExitCode != 1)
            {
                var state = await RunAsync(["container", "inspect", "--format", "{{.State.Running}}", names.Proxy], cancellationToken).ConfigureAwait(false);
                if (!state.Succeeded || !state.StandardOutput.Trim().Equals("true", StringComparison.Ordinal))
                {
                    var logs = await RunAsync(["logs", "--tail", "20", names.Proxy], cancellationToken).ConfigureAwait(false);
                    var tail = Cli.PodmanCli.Trim(logs.StandardOutput + logs.StandardError);
                    throw new BackendOperationException($"Backend '{Name}': the proxy of session '{names.Session.Value}' is not running; its log ends with: {tail}");
                }
            }

            await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 500));
        }
    }
}
