using k8s;
using Paude.Backends.OpenShift.Backend;
using Paude.Backends.OpenShift.Exec;
using Paude.Backends.OpenShift.Manifests;
using Paude.Egress;
using Paude.Errors;
using Paude.Execution;
using Paude.Sessions;

namespace Paude.Backends.OpenShift.Egress;

/// <summary>Waiting for the proxy to serve, not only to run.</summary>
internal sealed class ProxyListening(KubeApi api, PodExec exec, OpenShiftBackendOptions options, TimeProvider timeProvider)
{
    private string Namespace => api.Namespace;

    /// <summary>
    /// Waits until squid in every live proxy pod accepts connections on its port. A pod counts as running once its
    /// container started; without a readiness probe honoured by the cluster (the Kubernetes test server runs none)
    /// an allow-list change would otherwise return while the new proxy still refuses the agent's requests.
    /// </summary>
    public async Task WaitAsync(SessionName name, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(options.ReadyTimeout, timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        var selector = SessionLabels.SessionSelector(name) + $",{SessionLabelKeys.Role}={SessionLabelKeys.RoleProxy}";
        var probe = new ProcessSpec([.. SquidConfig.ListeningProbe]);
        var delay = TimeSpan.FromMilliseconds(100);
        try
        {
            while (true)
            {
                var pods = await api.CallAsync("list proxy pods", (c, ct) => c.CoreV1.ListNamespacedPodAsync(Namespace, labelSelector: selector, cancellationToken: ct), linked.Token).ConfigureAwait(false);
                var live = pods.Items.Where(p => p.Metadata.DeletionTimestamp is null && PodWaiter.IsPodRunning(p)).Select(p => p.Metadata.Name).ToList();
                var listening = live.Count > 0;
                foreach (var pod in live)
                {
                    listening &= await ProbeAsync(pod, probe, linked.Token).ConfigureAwait(false);
                }

                if (listening)
                {
                    return;
                }

                await Task.Delay(delay, timeProvider, linked.Token).ConfigureAwait(false);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 1000));
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new BackendOperationException($"The proxy of session {name} did not accept connections on port {SquidConfig.Port} within {options.ReadyTimeout}.");
        }
    }

    private async Task<bool> ProbeAsync(string pod, ProcessSpec probe, CancellationToken cancellationToken)
    {
        try
        {
            var process = await exec.StartAsync(pod, SessionLabels.ProxyContainer, probe, cancellationToken).ConfigureAwait(false);
            await using (process.ConfigureAwait(false))
            {
                await process.StandardOutput.CopyToAsync(Stream.Null, cancellationToken).ConfigureAwait(false);
                await process.StandardError.CopyToAsync(Stream.Null, cancellationToken).ConfigureAwait(false);
                return await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false) == 0;
            }
        }
        catch (BackendOperationException)
        {
            // The pod went away or is not ready for exec yet: look again.
            return false;
        }
    }
}
