using System.Globalization;
using k8s.Models;
using Paude.Backends.OpenShift.Manifests;
using Paude.Credentials;
using Paude.Sessions;

namespace Paude.Backends.OpenShift.Credentials;

/// <summary>
/// How the agent pod receives its credentials from the part Secrets.
/// <para>
/// Why Secrets (and not an exec stream after the pod is Ready): a StatefulSet pod recreated after an eviction or a
/// node loss must come back with its credentials without the host being there; only objects in the API give that.
/// The Secrets never hold anything but the package, are labelled with the session and go with it.
/// </para>
/// <para>
/// Why one Secret volume per part and a restore step in the agent container itself (and not a projected volume
/// with an init container): the restore step also links the pieces into <c>$HOME</c> (<c>~/.claude</c>,
/// <c>~/.claude.json</c>, gcloud, the git identity include), and <c>$HOME</c> is the agent container's own
/// filesystem, which an init container cannot write. Plain Secret volumes work on every cluster. Each part is
/// mounted read-only at <c>/credentials-parts/NNNN</c> with mode 0440 (owner root, group root or the fsGroup: the
/// arbitrary UID reads it through GID 0); the fixed wrapper links them into one folder in <c>/tmp</c>, runs
/// <c>paude-restore-credentials --parts</c> (reassemble, verify every hash, unpack into the Memory emptyDir
/// <c>/credentials</c>, never onto the PVC) and execs the image's entrypoint. A failed verification exits the
/// container, so the readiness wait fails fast with the script's message in the log tail.
/// </para>
/// </summary>
internal static class CredentialPodSpec
{
    public const string PartsRoot = "/credentials-parts";
    public const string CredentialsPath = AgentContract.CredentialsPath;
    public const string VolumePrefix = "credentials-part-";
    public const string Entrypoint = "/usr/local/bin/paude-entrypoint";

    /// <summary>
    /// Written by the wrapper once the credentials are restored; the agent container's readiness probe waits for it,
    /// so a pod (also one the StatefulSet recreates without the host) is ready only with its credentials in place.
    /// In the container's own <c>/tmp</c>, not the <c>/credentials</c> emptyDir: a restarted container starts unready.
    /// </summary>
    public const string RestoredMarker = "/tmp/.paude-credentials-restored";

    /// <summary>Read-only for owner and group: the pod's arbitrary UID reads through GID 0 (restricted-v2).</summary>
    public const int PartMode = 0x120; // 0440

    /// <summary>
    /// A fixed script (<c>Credentials/Scripts/restore-credentials-wrapper.sh</c>); the parts root is its argument ($1).
    /// Nothing session- or user-controlled is in the text; the fixed paths above are, byte for byte as before (the
    /// text is stored in the StatefulSet and compared on every reconcile).
    /// </summary>
    internal static readonly string WrapperScript = Paude.Scripting.SessionScript.Load("restore-credentials-wrapper.sh");

    /// <summary>The agent container's command when credentials are delivered.</summary>
    public static IList<string> WrapperCommand => ["/bin/bash", "-c", WrapperScript, "paude-credentials", PartsRoot];

    public static string VolumeName(int index) => VolumePrefix + index.ToString("D4", CultureInfo.InvariantCulture);

    /// <summary>The number of part volumes the pod template mounts now.</summary>
    public static int PartCount(V1PodSpec spec) =>
        spec.Volumes?.Count(v => v.Name.StartsWith(VolumePrefix, StringComparison.Ordinal)) ?? 0;

    /// <summary>
    /// Makes the pod template mount exactly <paramref name="parts"/> part Secrets and run the restore wrapper (or,
    /// with 0 parts, neither). Returns whether anything changed. The agent container is the first container.
    /// </summary>
    public static bool Apply(V1PodSpec spec, SessionName name, int parts)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(parts);
        var agent = spec.Containers.First(c => c.Name == SessionLabels.AgentContainer);
        var wantCommand = parts > 0 ? WrapperCommand : null;
        var wantProbe = parts > 0 ? RestoredProbe() : null;
        if (PartCount(spec) == parts && SameCommand(agent.Command, wantCommand) && SameCommand(agent.StartupProbe?.Exec?.Command, wantProbe?.Exec.Command) && agent.ReadinessProbe is null)
        {
            return false;
        }

        var volumes = (spec.Volumes ?? []).Where(v => !v.Name.StartsWith(VolumePrefix, StringComparison.Ordinal)).ToList();
        var mounts = (agent.VolumeMounts ?? []).Where(m => !m.Name.StartsWith(VolumePrefix, StringComparison.Ordinal)).ToList();
        for (var i = 0; i < parts; i++)
        {
            volumes.Add(new V1Volume
            {
                Name = VolumeName(i),
                Secret = new V1SecretVolumeSource { SecretName = CredentialSecrets.SecretName(name, i), DefaultMode = PartMode },
            });
            mounts.Add(new V1VolumeMount { Name = VolumeName(i), MountPath = $"{PartsRoot}/{i.ToString("D4", CultureInfo.InvariantCulture)}", ReadOnlyProperty = true });
        }

        spec.Volumes = volumes;
        agent.VolumeMounts = mounts;
        agent.Command = wantCommand;
        agent.StartupProbe = wantProbe;
        agent.ReadinessProbe = null; // sessions made before the startup probe carried a readiness probe running forever
        return true;
    }

    /// <summary>
    /// Started (and, having no readiness probe, ready) once the marker exists: a startup probe of <c>test</c> every
    /// second until the first success and never after, so a running session pays no exec per second for its life.
    /// The kubelet restarts a container whose startup probe fails <c>FailureThreshold</c> times: 300 gives the
    /// restore of large credentials five minutes.
    /// </summary>
    private static V1Probe RestoredProbe() => new()
    {
        Exec = new V1ExecAction { Command = ["test", "-e", RestoredMarker] },
        PeriodSeconds = 1,
        FailureThreshold = 300,
    };

    private static bool SameCommand(IList<string>? a, IList<string>? b) =>
        (a is null || a.Count == 0) ? (b is null || b.Count == 0) : b is not null && a.SequenceEqual(b, StringComparer.Ordinal);
}
