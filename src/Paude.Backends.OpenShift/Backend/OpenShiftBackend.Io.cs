using k8s;
using System.Runtime.CompilerServices;
using System.Text;
using k8s.Models;
using Paude.Backends.OpenShift.Backend;
using Paude.Backends.OpenShift.Exec;
using Paude.Backends.OpenShift.Manifests;
using Paude.Egress;
using Paude.Errors;
using Paude.Execution;
using Paude.Sessions;

namespace Paude.Backends.OpenShift;

/// <summary>Exec, the tar file channel, egress and credentials delivery — all over the exec WebSocket.</summary>
internal sealed partial class OpenShiftBackend
{
    // Backend/Scripts/upload-extract.sh; the folder is its argument ($1).
    private static readonly string UploadScript = Paude.Scripting.SessionScript.Load("upload-extract.sh");

    private const int MaxStderr = 8 * 1024;

    /// <inheritdoc />
    public async Task<ISessionProcess> StartProcessAsync(SessionName name, ProcessSpec spec, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var (pod, uid) = await RequireRunningAgentAsync(name, cancellationToken).ConfigureAwait(false);
        var process = await _exec.StartAsync(pod, SessionLabels.AgentContainer, spec, cancellationToken).ConfigureAwait(false);
        return new PodBoundProcess(process, pod, ct => IsSamePodAsync(pod, uid, ct));
    }

    /// <summary>Whether <paramref name="pod"/> is still the pod with <paramref name="uid"/> and not being deleted.</summary>
    private async Task<bool> IsSamePodAsync(string pod, string uid, CancellationToken cancellationToken)
    {
        var now = await _api.GetOrNullAsync("read agent pod", (c, t) => c.CoreV1.ReadNamespacedPodAsync(pod, Namespace, cancellationToken: t), cancellationToken).ConfigureAwait(false);
        return now is not null && now.Metadata.Uid == uid && now.Metadata.DeletionTimestamp is null;
    }

    /// <inheritdoc />
    public Task UploadAsync(SessionName name, string containerDirectory, Stream tarArchive, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tarArchive);
        return UploadFromAsync(name, containerDirectory, (stdin, ct) => tarArchive.CopyToAsync(stdin, 64 * 1024, ct), cancellationToken);
    }

    /// <summary>Runs <c>tar -x</c> in the agent container and lets <paramref name="writeArchive"/> stream into its stdin.</summary>
    private async Task UploadFromAsync(SessionName name, string containerDirectory, Func<Stream, CancellationToken, Task> writeArchive, CancellationToken cancellationToken)
    {
        ValidateContainerPath(containerDirectory);
        var spec = new ProcessSpec(["/bin/sh", "-c", UploadScript, "paude-upload", containerDirectory]) { RedirectStandardInput = true };
        var process = await StartProcessAsync(name, spec, cancellationToken).ConfigureAwait(false);
        await using (process.ConfigureAwait(false))
        {
            var stderr = ReadBoundedAsync(process.StandardError, cancellationToken);
            var stdout = process.StandardOutput.CopyToAsync(Stream.Null, cancellationToken);
            Exception? writeFailure = null;
            try
            {
                await using (process.StandardInput.ConfigureAwait(false))
                {
                    await writeArchive(process.StandardInput, cancellationToken).ConfigureAwait(false);
                }
            }
            catch (BackendOperationException e)
            {
                // tar stopped reading (it failed); its exit status and stderr say why.
                writeFailure = e;
            }

            var exit = await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            await stdout.ConfigureAwait(false);
            var error = await stderr.ConfigureAwait(false);
            if (exit != 0 || writeFailure is not null)
            {
                throw new BackendOperationException($"Upload to {containerDirectory} in session {name} failed (tar exit {exit}): {error}", writeFailure);
            }
        }
    }

    /// <inheritdoc />
    public async Task DownloadAsync(SessionName name, string containerDirectory, Func<Stream, CancellationToken, Task> readArchive, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(readArchive);
        ValidateContainerPath(containerDirectory);
        var process = await StartProcessAsync(name, new ProcessSpec(["tar", "-c", "-f", "-", "-C", containerDirectory, "."]), cancellationToken).ConfigureAwait(false);
        await using (process.ConfigureAwait(false))
        {
            var stderr = ReadBoundedAsync(process.StandardError, cancellationToken);
            await readArchive(process.StandardOutput, cancellationToken).ConfigureAwait(false);

            // Whatever the reader left (tar's trailing padding) must be drained or tar never ends.
            await process.StandardOutput.CopyToAsync(Stream.Null, cancellationToken).ConfigureAwait(false);
            var exit = await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            var error = await stderr.ConfigureAwait(false);
            if (exit != 0)
            {
                throw new BackendOperationException($"Download of {containerDirectory} from session {name} failed (tar exit {exit}): {error}");
            }
        }
    }

    /// <inheritdoc />
    public async Task<EgressPolicy> GetEgressPolicyAsync(SessionName name, CancellationToken cancellationToken = default)
    {
        var configMap = await _api.GetOrNullAsync("read proxy config", (c, ct) => c.CoreV1.ReadNamespacedConfigMapAsync(SessionLabels.Proxy(name), Namespace, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
        if (configMap?.Data is { } data && data.TryGetValue(SessionLabels.PolicyKey, out var entries))
        {
            return EgressPolicy.Parse([entries]);
        }

        var statefulSet = await ReadStatefulSetAsync(name, cancellationToken).ConfigureAwait(false)
            ?? throw new SessionNotFoundException(name, Name);
        return SessionConfig.Egress(statefulSet) ?? EgressPolicy.Default;
    }

    /// <inheritdoc />
    public async Task SetEgressPolicyAsync(SessionName name, EgressPolicy policy, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var statefulSet = await ReadStatefulSetAsync(name, cancellationToken).ConfigureAwait(false)
            ?? throw new SessionNotFoundException(name, Name);
        await RepairProxyAsync(name, statefulSet, cancellationToken).ConfigureAwait(false);
        var data = ProxyManifests.ConfigData(policy);
        var hash = ProxyManifests.ConfigHash(data);
        var dataPatch = new V1Patch(OpenShiftJson.MergePatch(data, "data"), V1Patch.PatchType.MergePatch);
        await _api.CallAsync("update proxy config", (c, ct) => c.CoreV1.PatchNamespacedConfigMapAsync(dataPatch, SessionLabels.Proxy(name), Namespace, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
        var annotations = new Dictionary<string, string> { [SessionLabelKeys.AllowedDomains] = string.Join(",", policy.Entries) };
        var setPatch = new V1Patch(OpenShiftJson.MergePatch(annotations, "metadata", "annotations"), V1Patch.PatchType.MergePatch);
        await _api.CallAsync("record allow-list", (c, ct) => c.AppsV1.PatchNamespacedStatefulSetAsync(setPatch, SessionLabels.Agent(name), Namespace, cancellationToken: ct), cancellationToken).ConfigureAwait(false);

        // A new hash on the pod template rolls out a proxy pod with the new config; the agent is not touched.
        var template = new Dictionary<string, string> { [SessionLabels.ConfigHash] = hash };
        var rollout = new V1Patch(OpenShiftJson.MergePatch(template, "spec", "template", "metadata", "annotations"), V1Patch.PatchType.MergePatch);
        var deployment = await _api.CallAsync("roll out proxy", (c, ct) => c.AppsV1.PatchNamespacedDeploymentAsync(rollout, SessionLabels.Proxy(name), Namespace, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
        Log.EgressChanged(_logger, name, hash);
        if ((deployment.Spec.Replicas ?? 0) > 0)
        {
            await _waiter.WaitProxyAsync(name, cancellationToken).ConfigureAwait(false);
            await WaitProxyListeningAsync(name, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<BlockedRequest> GetBlockedRequestsAsync(SessionName name, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var selector = SessionLabels.SessionSelector(name) + $",{SessionLabelKeys.Role}={SessionLabelKeys.RoleProxy}";
        var pods = await _api.CallAsync("list proxy pods", (c, ct) => c.CoreV1.ListNamespacedPodAsync(Namespace, labelSelector: selector, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
        var pod = pods.Items.FirstOrDefault(p => PodWaiter.IsPodRunning(p) && p.Metadata.DeletionTimestamp is null);
        if (pod is null)
        {
            var info = await GetAsync(name, cancellationToken).ConfigureAwait(false) ?? throw new SessionNotFoundException(name, Name);
            throw new SessionNotRunningException(name, $"{info.Status}, no running proxy pod");
        }

        var process = await _exec.StartAsync(pod.Metadata.Name, SessionLabels.ProxyContainer, new ProcessSpec(["cat", "--", SquidConfig.AccessLogPath]), cancellationToken).ConfigureAwait(false);
        await using (process.ConfigureAwait(false))
        {
            var stderr = ReadBoundedAsync(process.StandardError, cancellationToken);

            // The log comes from the container: untrusted. The parser accepts only lines of the exact format.
            using var reader = new StreamReader(process.StandardOutput, Encoding.UTF8, detectEncodingFromByteOrderMarks: false);
            while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
            {
                foreach (var blocked in SquidConfig.ParseBlockedRequests(new StringReader(line)))
                {
                    yield return blocked;
                }
            }

            var exit = await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            var error = await stderr.ConfigureAwait(false);
            if (exit != 0)
            {
                throw new BackendOperationException($"Reading the proxy log of session {name} failed (exit {exit}): {error}");
            }
        }
    }

    private async Task<(string Pod, string Uid)> RequireRunningAgentAsync(SessionName name, CancellationToken cancellationToken)
    {
        var podName = SessionLabels.AgentPod(name);
        var pod = await _api.GetOrNullAsync("read agent pod", (c, ct) => c.CoreV1.ReadNamespacedPodAsync(podName, Namespace, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
        if (pod is not null && PodWaiter.IsPodRunning(pod) && pod.Metadata.DeletionTimestamp is null)
        {
            return (podName, pod.Metadata.Uid);
        }

        var info = await GetAsync(name, cancellationToken).ConfigureAwait(false) ?? throw new SessionNotFoundException(name, Name);
        throw new SessionNotRunningException(name, info.Status.ToString());
    }

    private static void ValidateContainerPath(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!path.StartsWith('/') || path.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException($"'{path}' is not an absolute container path.", nameof(path));
        }
    }

    /// <summary>Reads a stream to its end keeping only the first few KB (for an error message).</summary>
    private static async Task<string> ReadBoundedAsync(Stream stream, CancellationToken cancellationToken)
    {
        var kept = new MemoryStream();
        var buffer = new byte[8192];
        int n;
        while ((n = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (kept.Length < MaxStderr)
            {
                kept.Write(buffer, 0, (int)Math.Min(n, MaxStderr - kept.Length));
            }
        }

        return Encoding.UTF8.GetString(kept.GetBuffer(), 0, (int)kept.Length).Trim();
    }
}
