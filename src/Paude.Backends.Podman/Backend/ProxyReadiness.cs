using Microsoft.Extensions.Logging;
using Paude.Backends.Podman.Cli;
using Paude.Backends.Podman.Logging;
using Paude.Egress;
using Paude.Errors;

namespace Paude.Backends.Podman.Backend;

/// <summary>
/// Waiting for the proxy to serve, not only to run: squid listening in the proxy container, and the agent's bridge to
/// the proxy's socket listening in the agent container. Create and start return only once both are true.
/// </summary>
internal sealed class ProxyReadiness(string backendName, PodmanEngine engine, TimeProvider time, ILogger logger)
{
    // Backend/Scripts/wait-proxy-listening.sh: $1 = port; exit 0 listening, 1 never listened.
    private static readonly string WaitProxyListeningScript = Paude.Scripting.SessionScript.Load("wait-proxy-listening.sh");

    // Backend/Scripts/wait-bridge-listening.sh: $1 = socket, $2 = port; exit 0 ready, 2 no socket, 3 no listener.
    private static readonly string WaitBridgeListeningScript = Paude.Scripting.SessionScript.Load("wait-bridge-listening.sh");

    /// <summary>
    /// Waits until squid accepts connections. 'podman run -d' returns once the container's process started, and squid
    /// parses its config before it listens (a second or more on a loaded machine, measured in CI): an agent making its
    /// first request right after Create or Start would otherwise get "connection refused" instead of the proxy's answer.
    /// One exec that polls inside the proxy (bash's /dev/tcp every 50 ms for up to 120 s; the ready timeout ends it
    /// sooner), not a loop of execs with a back-off: each podman exec costs a process start (0.1–1 s under load) and a
    /// back-off sleeps past the moment squid listens. A proxy that exits instead (bad config, crash) ends the exec; then
    /// its state is read and it fails fast with its log tail rather than at the ready timeout.
    /// </summary>
    public async Task WaitProxyListeningAsync(PodmanNames names, CancellationToken cancellationToken)
    {
        var port = SquidConfig.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        while (true)
        {
            var probe = await engine.RunAsync(["exec", names.Proxy, "bash", "-c", WaitProxyListeningScript, "bash", port], cancellationToken).ConfigureAwait(false);
            if (probe.Succeeded)
            {
                return;
            }

            // 1 = never listened within the loop (the ready timeout normally ends the wait first); anything else is
            // podman failing to exec or the proxy stopping under it: is the proxy still running?
            if (probe.ExitCode != 1)
            {
                var state = await engine.RunAsync(["container", "inspect", "--format", "{{.State.Running}}", names.Proxy], cancellationToken).ConfigureAwait(false);
                if (!state.Succeeded || !state.StandardOutput.Trim().Equals("true", StringComparison.Ordinal))
                {
                    var logs = await engine.RunAsync(["logs", "--tail", "20", names.Proxy], cancellationToken).ConfigureAwait(false);
                    var tail = Cli.PodmanCli.Trim(logs.StandardOutput + logs.StandardError);
                    throw new BackendOperationException($"Backend '{backendName}': the proxy of session '{names.Session.Value}' is not running; its log ends with: {tail}");
                }
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50), time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Waits until the agent's side of the bridge listens on 127.0.0.1:3128 and the proxy's socket exists, so a
    /// request the caller makes right after Create or Start reaches squid. One exec that polls inside the agent
    /// (bash's /dev/tcp, every 50 ms), not a loop of execs: each podman exec costs a process start. Each exec is
    /// bounded (<see cref="BridgeProbeBound"/>) and a fresh one follows until the ready timeout ends the wait: in CI a
    /// create now and then (about 1 in 150) sat in this wait until the ready timeout with no answer, and a stuck exec
    /// is the one part of it a retry can recover. Exit 2: the proxy never made its socket; 3: the bridge never listened.
    /// </summary>
    public async Task WaitBridgeListeningAsync(PodmanNames names, CancellationToken cancellationToken)
    {
        var port = SquidConfig.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        while (true)
        {
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            attempt.CancelAfter(BridgeProbeBound);
            PodmanResult probe;
            try
            {
                probe = await engine.RunAsync(["exec", names.Agent, "bash", "-c", WaitBridgeListeningScript, "bash", PodmanNames.SocketPath, port], attempt.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                Log.BridgeProbeRetried(logger, names.Session.Value, (int)BridgeProbeBound.TotalSeconds);
                continue;
            }

            if (probe.Succeeded)
            {
                return;
            }

            var why = probe.ExitCode switch
            {
                2 => "the proxy never created its socket",
                3 => "the agent's bridge never listened on 127.0.0.1:" + port,
                _ => Cli.PodmanCli.Trim(probe.StandardError),
            };
            throw new BackendOperationException($"Backend '{backendName}': the proxy bridge of session '{names.Session.Value}' did not come up: {why}");
        }
    }

    /// <summary>How long one bridge probe may take before a fresh one replaces it (a ready bridge answers in well under 1 s).</summary>
    private static readonly TimeSpan BridgeProbeBound = TimeSpan.FromSeconds(30);
}
