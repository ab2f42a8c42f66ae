using Microsoft.Extensions.Logging;
using Paude.Backends.Podman.Logging;
using Paude.Credentials;
using Paude.Sessions;

namespace Paude.Backends.Podman.Backend;

/// <summary>
/// Credentials into a session: the packager's archive of the session's credential sources is extracted into the
/// agent's memory-backed credentials directory (never a volume, never a label) and restored there by the packager's
/// own command. At create as soon as the agent runs (its entrypoint waits for them), again at every start (the tmpfs
/// is empty after a restart). Nothing happens without a packager registered or without sources.
/// </summary>
internal sealed class CredentialDelivery(PodmanExecChannel channel, PodmanEngine engine, ICredentialPackager? credentials, ILogger logger)
{
    /// <summary>Packages the session's credential sources into the memory-backed directory and restores them.</summary>
    public async Task DeliverAsync(PodmanNames names, IReadOnlyList<string> sources, CancellationToken cancellationToken)
    {
        if (sources.Count == 0 || credentials is null)
        {
            return;
        }

        await channel.ExtractAsync(names, AgentContract.CredentialsPath, (s, ct) => credentials.WritePackageAsync(sources, s, ct), cancellationToken).ConfigureAwait(false);
        var restore = await engine.RunAsync(["exec", names.Agent, .. credentials.RestoreCommand], cancellationToken).ConfigureAwait(false);
        if (!restore.Succeeded)
        {
            throw engine.Failure($"restoring credentials in session '{names.Session.Value}'", restore);
        }

        var joined = string.Join(",", sources);
        Log.CredentialsDelivered(logger, names.Session.Value, joined);
    }

    /// <summary>
    /// After a (re)start. Podman 4.3 re-creates the tmpfs on restart with mode 0755 despite tmpfs-mode=0770 (measured),
    /// which would lock an arbitrary UID with GID 0 out of it; restore the contract's mode as root (a fixed command, no
    /// user input), then deliver again.
    /// </summary>
    public async Task RedeliverAsync(PodmanNames names, SessionRecord config, CancellationToken cancellationToken)
    {
        await engine.MustAsync(["exec", "--user", "0", names.Agent, "chmod", "0770", AgentContract.CredentialsPath], "restoring the credentials directory mode", cancellationToken).ConfigureAwait(false);
        await DeliverAsync(names, config.Credentials, cancellationToken).ConfigureAwait(false);
    }
}
