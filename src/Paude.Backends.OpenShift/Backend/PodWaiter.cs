using System.Text;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Paude.Backends.OpenShift.Manifests;
using Paude.Errors;
using Paude.Sessions;

namespace Paude.Backends.OpenShift.Backend;

/// <summary>
/// Readiness waits: check, then block on a short watch until something changes (watches die silently, so each
/// is bounded and followed by a fresh list), until ready, failed or timed out. Fails fast on pod states that will
/// not heal by themselves, with the pod's events and log tail in the error.
/// </summary>
internal sealed class PodWaiter(KubeApi api, OpenShiftBackendOptions options, TimeProvider timeProvider, ILogger logger)
{
    private static readonly HashSet<string> FatalReasons = new(StringComparer.Ordinal)
    {
        "ErrImagePull", "ImagePullBackOff", "InvalidImageName", "CrashLoopBackOff", "CreateContainerConfigError", "CreateContainerError",
    };

    private static readonly TimeSpan WatchWindow = TimeSpan.FromSeconds(5);

    /// <summary>Waits until the agent pod runs and the proxy Deployment has a ready, up-to-date replica.</summary>
    public async Task WaitRunningAsync(SessionName name, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(options.ReadyTimeout, timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            await WaitAsync($"proxy of session {name}", SessionLabels.SessionSelector(name) + $",{SessionLabelKeys.Role}={SessionLabelKeys.RoleProxy}", ct => ProxyReadyAsync(name, ct), linked.Token).ConfigureAwait(false);
            await WaitAsync($"agent pod of session {name}", SessionLabels.SessionSelector(name) + $",{SessionLabelKeys.Role}={SessionLabelKeys.RoleAgent}", ct => AgentReadyAsync(name, ct), linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            var pod = await api.GetOrNullAsync("read pod", (c, ct) => c.CoreV1.ReadNamespacedPodAsync(SessionLabels.AgentPod(name), api.Namespace, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
            var detail = pod is null ? "the agent pod was never created" : await DiagnoseAsync(pod, cancellationToken).ConfigureAwait(false);
            throw new BackendOperationException($"Session {name} did not become ready within {options.ReadyTimeout}: {detail}");
        }
    }

    /// <summary>Waits until the proxy Deployment has a ready, up-to-date replica (after an allow-list change).</summary>
    public async Task WaitProxyAsync(SessionName name, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(options.ReadyTimeout, timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            await WaitAsync($"proxy of session {name}", SessionLabels.SessionSelector(name) + $",{SessionLabelKeys.Role}={SessionLabelKeys.RoleProxy}", ct => ProxyReadyAsync(name, ct), linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new BackendOperationException($"The proxy of session {name} did not become ready within {options.ReadyTimeout}.");
        }
    }

    /// <summary>Waits until no pod of the session is left (after scaling to 0 or deleting).</summary>
    public async Task WaitNoPodsAsync(SessionName name, TimeSpan limit, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(limit, timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        var selector = SessionLabels.SessionSelector(name);
        try
        {
            await WaitAsync($"pods of session {name} to go", selector, async ct =>
            {
                var pods = await api.CallAsync("list pods", (c, t) => c.CoreV1.ListNamespacedPodAsync(api.Namespace, labelSelector: selector, cancellationToken: t), ct).ConfigureAwait(false);
                return pods.Items.Count == 0;
            }, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new BackendOperationException($"The pods of session {name} were still there after {limit}.");
        }
    }

    private async Task WaitAsync(string what, string podSelector, Func<CancellationToken, Task<bool>> check, CancellationToken cancellationToken)
    {
        var started = timeProvider.GetTimestamp();
        for (var rounds = 1; ; rounds++)
        {
            // List first, check second, then watch from the list's version: no change between them is missed.
            var list = await api.CallAsync("list pods", (c, ct) => c.CoreV1.ListNamespacedPodAsync(api.Namespace, labelSelector: podSelector, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
            if (await check(cancellationToken).ConfigureAwait(false))
            {
                // Which wait takes the time (under load, a start's budget is spent in one of them): debug logs say.
                Log.Waited(logger, what, (long)timeProvider.GetElapsedTime(started).TotalMilliseconds, rounds);
                return;
            }

            await WatchOnceAsync(what, podSelector, list.Metadata?.ResourceVersion, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task WatchOnceAsync(string what, string podSelector, string? resourceVersion, CancellationToken cancellationToken)
    {
        using var window = new CancellationTokenSource(WatchWindow, timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, window.Token);
        try
        {
            var response = api.Client.CoreV1.ListNamespacedPodWithHttpMessagesAsync(
                api.Namespace, labelSelector: podSelector, watch: true, resourceVersion: resourceVersion,
                timeoutSeconds: (int)WatchWindow.TotalSeconds, cancellationToken: linked.Token);
#pragma warning disable CS0618 // The list-with-watch form is the one every server version answers.
            await foreach (var _ in response.WatchAsync<V1Pod, V1PodList>(cancellationToken: linked.Token).ConfigureAwait(false))
#pragma warning restore CS0618
            {
                // Any change is a reason to look again.
                return;
            }
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is not PaudeException)
        {
            // A dropped or expired watch (or the window ending): back off a little, then re-list.
            if (!window.IsCancellationRequested)
            {
                Log.WatchEnded(logger, what, e.GetType().Name);
                await Task.Delay(TimeSpan.FromMilliseconds(250), timeProvider, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task<bool> ProxyReadyAsync(SessionName name, CancellationToken cancellationToken)
    {
        var deployment = await api.GetOrNullAsync("read proxy deployment", (c, ct) => c.AppsV1.ReadNamespacedDeploymentAsync(SessionLabels.Proxy(name), api.Namespace, cancellationToken: ct), cancellationToken).ConfigureAwait(false)
            ?? throw new BackendOperationException($"The proxy Deployment of session {name} is missing.");
        var pods = await api.CallAsync("list proxy pods", (c, ct) => c.CoreV1.ListNamespacedPodAsync(api.Namespace, labelSelector: SessionLabels.SessionSelector(name) + $",{SessionLabelKeys.Role}={SessionLabelKeys.RoleProxy}", cancellationToken: ct), cancellationToken).ConfigureAwait(false);
        foreach (var pod in pods.Items)
        {
            await ThrowIfFatalAsync(pod, cancellationToken).ConfigureAwait(false);
        }

        if (pods.Items.Count == 0 && (deployment.Spec?.Replicas ?? 0) > 0)
        {
            await PodCreationFailures.ThrowIfForbiddenAsync(api, statefulSet: false, SessionLabels.SessionSelector(name) + $",{SessionLabelKeys.Role}={SessionLabelKeys.RoleProxy}", cancellationToken).ConfigureAwait(false);
        }

        return IsProxyReady(deployment, pods.Items);
    }

    /// <summary>
    /// Ready when a running proxy pod whose containers are ready carries the config hash of the Deployment's current
    /// template (judged from pods, not the Deployment status, which lags behind the pod and would need a second watch).
    /// Running is not enough: the proxy Service routes only to a ready pod, so the agent's first request would fail.
    /// </summary>
    internal static bool IsProxyReady(V1Deployment deployment, IEnumerable<V1Pod> pods)
    {
        var hash = deployment.Spec?.Template?.Metadata?.Annotations?.TryGetValue(SessionLabels.ConfigHash, out var h) == true ? h : null;
        return pods.Any(p => p.Metadata.DeletionTimestamp is null && IsPodRunning(p) && p.Status.ContainerStatuses.All(c => c.Ready) &&
            (hash is null || (p.Metadata.Annotations?.TryGetValue(SessionLabels.ConfigHash, out var ph) == true && ph == hash)));
    }

    private async Task<bool> AgentReadyAsync(SessionName name, CancellationToken cancellationToken)
    {
        var pod = await api.GetOrNullAsync("read agent pod", (c, ct) => c.CoreV1.ReadNamespacedPodAsync(SessionLabels.AgentPod(name), api.Namespace, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
        if (pod is null)
        {
            await PodCreationFailures.ThrowIfForbiddenAsync(api, statefulSet: true, SessionLabels.SessionSelector(name) + $",{SessionLabelKeys.Role}={SessionLabelKeys.RoleAgent}", cancellationToken).ConfigureAwait(false);
            return false;
        }

        if (pod.Metadata.DeletionTimestamp is not null)
        {
            return false;
        }

        await ThrowIfFatalAsync(pod, cancellationToken).ConfigureAwait(false);

        // Ready too: with credentials the agent container is ready only once they are restored (its readiness probe).
        return IsPodRunning(pod) && pod.Status.ContainerStatuses.All(c => c.Ready);
    }

    /// <summary>Running with every container started (not necessarily ready: see the agent wait).</summary>
    internal static bool IsPodRunning(V1Pod pod) =>
        pod.Status?.Phase == "Running" && pod.Status.ContainerStatuses is { Count: > 0 } cs && cs.All(c => c.State?.Running is not null);

    /// <summary>A waiting reason that will not heal by itself, or <c>null</c>.</summary>
    internal static string? FatalReason(V1Pod pod)
    {
        if (pod.Status?.Phase is "Failed")
        {
            return pod.Status.Reason ?? "Failed";
        }

        foreach (var status in pod.Status?.ContainerStatuses ?? [])
        {
            if (status.State?.Waiting?.Reason is { } reason && FatalReasons.Contains(reason))
            {
                return reason;
            }
        }

        return null;
    }

    private async Task ThrowIfFatalAsync(V1Pod pod, CancellationToken cancellationToken)
    {
        if (FatalReason(pod) is not { } reason)
        {
            return;
        }

        var detail = await DiagnoseAsync(pod, cancellationToken).ConfigureAwait(false);
        if (reason is "ErrImagePull" or "ImagePullBackOff" or "InvalidImageName")
        {
            var image = pod.Spec.Containers.FirstOrDefault()?.Image ?? "?";
            throw new ImageNotFoundException(image, $"pod {pod.Metadata.Name}: {reason}. {detail}");
        }

        throw new BackendOperationException($"Pod {pod.Metadata.Name} failed: {reason}. {detail}");
    }

    /// <summary>The container states, the last events and the log tail of a pod, for an error message.</summary>
    public async Task<string> DiagnoseAsync(V1Pod pod, CancellationToken cancellationToken)
    {
        var sb = new StringBuilder();
        foreach (var status in pod.Status?.ContainerStatuses ?? [])
        {
            var waiting = status.State?.Waiting;
            var terminated = status.State?.Terminated ?? status.LastState?.Terminated;
            sb.Append(CultureInfoText($"container {status.Name}: ready={status.Ready}, restarts={status.RestartCount}"));
            if (waiting is not null)
            {
                sb.Append(CultureInfoText($", waiting {waiting.Reason}: {waiting.Message}"));
            }

            if (terminated is not null)
            {
                sb.Append(CultureInfoText($", terminated {terminated.Reason} exit {terminated.ExitCode}"));
            }

            sb.Append("; ");
        }

        try
        {
            var events = await api.Client.CoreV1.ListNamespacedEventAsync(api.Namespace, fieldSelector: $"involvedObject.name={pod.Metadata.Name}", cancellationToken: cancellationToken).ConfigureAwait(false);
            var last = events.Items.OrderBy(e => e.LastTimestamp ?? e.EventTime ?? e.Metadata.CreationTimestamp).TakeLast(8).ToList();
            if (last.Count > 0)
            {
                sb.Append("events: ").Append(string.Join(" | ", last.Select(e => $"{e.Type} {e.Reason}: {e.Message}"))).Append("; ");
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            sb.Append("events unavailable; ");
        }

        try
        {
            using var log = await api.Client.CoreV1.ReadNamespacedPodLogAsync(pod.Metadata.Name, api.Namespace, tailLines: 30, cancellationToken: cancellationToken).ConfigureAwait(false);
            using var reader = new StreamReader(log);
            var text = await reader.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
            if (text.Length > 0)
            {
                sb.Append("log tail:").Append(Environment.NewLine).Append(text.Length > 4000 ? text[^4000..] : text);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            sb.Append("log unavailable");
        }

        return sb.ToString();
    }

    private static string CultureInfoText(FormattableString text) => FormattableString.Invariant(text);
}
