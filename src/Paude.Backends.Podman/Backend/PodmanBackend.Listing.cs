using Paude.Backends.Podman.Cli;
using Paude.Backends.Podman.Logging;

namespace Paude.Backends.Podman.Backend;

internal sealed partial class PodmanBackend
{
    /// <summary>How often a listing that raced with a removal is repeated before its error is reported.</summary>
    private const int ListingAttempts = 5;

    private async Task<List<ContainerEntry>> ListContainersAsync(string filter, CancellationToken cancellationToken)
    {
        var result = await ListingAsync(["ps", "-a", "--format", "json", "--filter", filter], "listing containers", cancellationToken).ConfigureAwait(false);
        return PodmanState.ParseContainers(result.StandardOutput);
    }

    private async Task<List<(string Name, IReadOnlyDictionary<string, string> Labels)>> ListNamedAsync(string kind, string filter, CancellationToken cancellationToken)
    {
        var result = await ListingAsync([kind, "ls", "--format", "json", "--filter", filter], $"listing {kind}s", cancellationToken).ConfigureAwait(false);
        return PodmanState.ParseNamed(result.StandardOutput);
    }

    /// <summary>
    /// Runs a podman listing. Podman reads the names first and then each object; one removed in between — by any
    /// other process, for any session, since the label filter is applied per object — fails the whole listing with
    /// "no such volume/container/network". That is a race, not a state, so the listing is repeated (briefly backing off).
    /// </summary>
    private async Task<PodmanResult> ListingAsync(IReadOnlyList<string> arguments, string what, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var result = await RunAsync(arguments, cancellationToken).ConfigureAwait(false);
            if (result.Succeeded)
            {
                return result;
            }

            if (!IsNoSuch(result) || attempt == ListingAttempts)
            {
                throw Failure(what, result);
            }

            Log.ListingRaced(_logger, what, attempt);
            await Task.Delay(TimeSpan.FromMilliseconds(50 * attempt), _time, cancellationToken).ConfigureAwait(false);
        }
    }
}
