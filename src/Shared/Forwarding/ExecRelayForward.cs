using Microsoft.Extensions.Logging;
using Paude.Errors;
using Paude.Execution;
using Paude.Sessions;

namespace Paude.Forwarding;

/// <summary>Port forwarding for any backend through its exec channel (one <see cref="ExecRelayConnection"/> per connection).</summary>
internal static class ExecRelayForward
{
    public static async Task<IPortForward> StartAsync(ISessionBackend backend, SessionName name, PortForwardSpec spec, ILogger? logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        spec.Validate();

        // One exec up front: a missing or stopped session fails here with its typed error, not per connection later.
        var probe = await backend.ExecAsync(name, ["bash", "-c", PortRelayScript.Probe], cancellationToken).ConfigureAwait(false);
        if (probe.ExitCode != 0)
        {
            throw new BackendOperationException($"Session '{name}' cannot relay a port: bash or perl is missing from its image (exit code {probe.ExitCode}).");
        }

        return PortForwardListener.Start(spec, ct => ExecRelayConnection.OpenAsync(backend, name, spec.SessionPort, ct), logger, cancellationToken);
    }
}
