using k8s;
using Paude.Backends.OpenShift.Backend;
using Paude.Backends.OpenShift.Manifests;
using Paude.Errors;
using Paude.Execution;
using Paude.Sessions;

namespace Paude.Backends.OpenShift.Exec;

/// <summary>
/// The exec and tar file channel into a session's agent container, over the exec WebSocket (<see cref="PodExec"/>).
/// Every process is bound to the pod it started in (<see cref="PodBoundProcess"/>): a pod replaced meanwhile ends it
/// with an error, not with the exit code of a killed process.
/// </summary>
internal sealed class AgentChannel(KubeApi api, PodExec exec, OpenShiftSessionReader reader)
{
    // Exec/Scripts/upload-extract.sh; the folder is its argument ($1).
    private static readonly string UploadScript = Paude.Scripting.SessionScript.Load("upload-extract.sh");

    private string Namespace => api.Namespace;

    public async Task<ISessionProcess> StartProcessAsync(SessionName name, ProcessSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var (pod, uid) = await RequireRunningAgentAsync(name, cancellationToken).ConfigureAwait(false);
        var process = await exec.StartAsync(pod, SessionLabels.AgentContainer, spec, cancellationToken).ConfigureAwait(false);
        return new PodBoundProcess(process, pod, ct => IsSamePodAsync(pod, uid, ct));
    }

    /// <summary>The running agent pod's name and UID; otherwise a typed error saying what the session is.</summary>
    public async Task<(string Pod, string Uid)> RequireRunningAgentAsync(SessionName name, CancellationToken cancellationToken)
    {
        var podName = SessionLabels.AgentPod(name);
        var pod = await api.GetOrNullAsync("read agent pod", (c, ct) => c.CoreV1.ReadNamespacedPodAsync(podName, Namespace, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
        if (pod is not null && PodWaiter.IsPodRunning(pod) && pod.Metadata.DeletionTimestamp is null)
        {
            return (podName, pod.Metadata.Uid);
        }

        var info = await reader.GetRequiredAsync(name, cancellationToken).ConfigureAwait(false);
        throw new SessionNotRunningException(name, info.Status.ToString());
    }

    /// <summary>Whether <paramref name="pod"/> is still the pod with <paramref name="uid"/> and not being deleted.</summary>
    public async Task<bool> IsSamePodAsync(string pod, string uid, CancellationToken cancellationToken)
    {
        var now = await api.GetOrNullAsync("read agent pod", (c, t) => c.CoreV1.ReadNamespacedPodAsync(pod, Namespace, cancellationToken: t), cancellationToken).ConfigureAwait(false);
        return now is not null && now.Metadata.Uid == uid && now.Metadata.DeletionTimestamp is null;
    }

    public Task UploadAsync(SessionName name, string containerDirectory, Stream tarArchive, CancellationToken cancellationToken)
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
            var stderr = BoundedText.ReadAsync(process.StandardError, cancellationToken);
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

    public async Task DownloadAsync(SessionName name, string containerDirectory, Func<Stream, CancellationToken, Task> readArchive, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(readArchive);
        ValidateContainerPath(containerDirectory);
        var process = await StartProcessAsync(name, new ProcessSpec(["tar", "-c", "-f", "-", "-C", containerDirectory, "."]), cancellationToken).ConfigureAwait(false);
        await using (process.ConfigureAwait(false))
        {
            var stderr = BoundedText.ReadAsync(process.StandardError, cancellationToken);
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

    private static void ValidateContainerPath(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!path.StartsWith('/') || path.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException($"'{path}' is not an absolute container path.", nameof(path));
        }
    }
}
