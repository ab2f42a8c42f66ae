using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Paude.Backends.Podman.Cli;
using Paude.Backends.Podman.Logging;
using Paude.Egress;
using Paude.Errors;
using Paude.Sessions;

namespace Paude.Backends.Podman.Backend;

/// <summary>
/// A session's egress on Podman: the allow-list in the proxy config volume (read back through the safe extractor,
/// written with <c>volume import</c> and picked up by a reload of the running proxy) and the requests the proxy refused.
/// </summary>
internal sealed class PodmanEgress(IPodmanClient podman, PodmanEngine engine, PodmanSessionReader reader, PodmanRunArgs runArgs, PodmanBackendOptions options, ILogger logger)
{
    /// <summary>Caps the proxy access log read back: it is written by the proxy, which the agent can talk to.</summary>
    private const long MaxAccessLogBytes = 64L * 1024 * 1024;

    // The config volume is mounted read-only into the proxy (squid must not be able to rewrite its own allow-list),
    // so a change is written into the volume from the host ('volume import', which works on an in-use volume) and the
    // proxy is then told to reload: the SIGHUP that 'squid -k reconfigure' sends, from the proxy's own user (the
    // containers have no capabilities, so root in the container could not signal squid's arbitrary UID).
    // Backend/Scripts/reload-proxy.sh; the pid file is its argument ($1).
    private static readonly string ReloadScript = Paude.Scripting.SessionScript.Load("reload-proxy.sh");

    private const string PidFile = "/var/lib/paude-proxy/squid.pid";

    public async Task<EgressPolicy> GetPolicyAsync(SessionName name, CancellationToken cancellationToken)
    {
        var names = new PodmanNames(name);
        var (_, containers) = await reader.RequireAsync(name, cancellationToken).ConfigureAwait(false);

        // 'volume export' reads the config volume whether or not the proxy runs.
        await using (var export = await podman.StartAsync(["volume", "export", names.ProxyConfig], redirectStdin: false, cancellationToken).ConfigureAwait(false))
        {
            // Nothing on stdout (the volume is missing) reads as no policy: fall back to the labels below.
            var policy = await EgressFiles.ReadPolicyAsync(export.StandardOutput, cancellationToken).ConfigureAwait(false);
            if (policy is not null)
            {
                return policy;
            }
        }

        var agent = containers.FirstOrDefault(c => c.Name == names.Agent);
        return agent is null ? EgressPolicy.Default : SessionLabels.ReadConfig(agent.Labels, options.AgentImage, options.ProxyImage).Egress;
    }

    public async Task SetPolicyAsync(SessionName name, EgressPolicy policy, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var names = new PodmanNames(name);
        var (_, containers) = await reader.RequireAsync(name, cancellationToken).ConfigureAwait(false);
        var proxy = containers.FirstOrDefault(c => c.Name == names.Proxy);
        var tar = EgressFiles.Archive(policy);
        // The proxy may be missing (removed behind our back): the volume is written anyway; the proxy reads it when
        // it is re-created at the next start.
        var exists = await engine.RunAsync(["volume", "exists", names.ProxyConfig], cancellationToken).ConfigureAwait(false);
        if (!exists.Succeeded)
        {
            await engine.MustAsync(runArgs.ProxyConfigVolumeArgs(names), "re-creating the proxy config volume", cancellationToken).ConfigureAwait(false);
        }

        await ImportAsync(names, tar, $"writing the allow-list of session '{name.Value}'", cancellationToken).ConfigureAwait(false);
        if (proxy is { IsRunning: true })
        {
            await engine.MustAsync(["exec", names.Proxy, "sh", "-c", ReloadScript, "sh", PidFile], $"reloading the proxy of session '{name.Value}'", cancellationToken).ConfigureAwait(false);
        }

        Log.EgressSet(logger, name.Value, policy.Entries.Count, proxy is { IsRunning: true });
    }

    /// <summary>
    /// Writes squid.conf and the policy file into the proxy config volume from the host (<c>volume import</c>, which
    /// works on an in-use volume; no container needed).
    /// </summary>
    public Task WriteConfigVolumeAsync(PodmanNames names, EgressPolicy policy, string what, CancellationToken cancellationToken) =>
        ImportAsync(names, EgressFiles.Archive(policy), what, cancellationToken);

    private Task<PodmanResult> ImportAsync(PodmanNames names, byte[] tar, string what, CancellationToken cancellationToken) =>
        engine.MustAsync(["volume", "import", names.ProxyConfig, "-"], what, cancellationToken, (s, ct) => s.WriteAsync(tar, ct).AsTask());

    public async IAsyncEnumerable<BlockedRequest> GetBlockedRequestsAsync(SessionName name, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var names = new PodmanNames(name);
        var (_, containers) = await reader.RequireAsync(name, cancellationToken).ConfigureAwait(false);
        if (!containers.Any(c => c.Name == names.Proxy))
        {
            yield break;
        }

        // 'podman cp' to stdout streams a tar of the log and works on a stopped proxy too.
        await using var copy = await podman.StartAsync(["cp", $"{names.Proxy}:{SquidConfig.AccessLogPath}", "-"], redirectStdin: false, cancellationToken).ConfigureAwait(false);
        var stderr = PodmanEngine.ReadCappedAsync(copy.StandardError, cancellationToken);
        List<BlockedRequest>? blocked;
        try
        {
            blocked = await SafeTarFile.ReadAsync(copy.StandardOutput, Path.GetFileName(SquidConfig.AccessLogPath), MaxAccessLogBytes, log => SquidConfig.ParseBlockedRequests(log).ToList(), cancellationToken).ConfigureAwait(false);
        }
        catch (UnsafeContentException)
        {
            // A failing 'podman cp' may stop mid-archive: its own error is then the one to report.
            var failed = await copy.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            if (failed == 0)
            {
                throw;
            }

            throw engine.Failure($"reading the proxy log of session '{name.Value}'", new PodmanResult(failed, string.Empty, await stderr.ConfigureAwait(false)));
        }

        if (blocked is null)
        {
            var exit = await copy.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            var error = await stderr.ConfigureAwait(false);
            if (exit != 0 && !error.Contains("no such file", StringComparison.OrdinalIgnoreCase))
            {
                throw engine.Failure($"reading the proxy log of session '{name.Value}'", new PodmanResult(exit, string.Empty, error));
            }

            yield break;
        }

        foreach (var request in blocked)
        {
            yield return request;
        }
    }
}
