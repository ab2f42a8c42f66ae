using k8s.Models;

namespace Paude.Backends.OpenShift;

/// <summary>
/// Options of the OpenShift/Kubernetes backend. Validated once at start (<see cref="GetErrors"/> reports every
/// problem together). The namespace must already exist; the backend never creates namespaces.
/// </summary>
public sealed class OpenShiftBackendOptions
{
    /// <summary>
    /// The kubeconfig file; <c>null</c> finds it as kubectl does: <c>$KUBECONFIG</c> (a list, merged, the first file to set a
    /// value wins, missing files skipped), else <c>~/.kube/config</c>.
    /// </summary>
    public string? KubeconfigPath { get; set; }

    /// <summary>The kubeconfig context; <c>null</c> uses the current context.</summary>
    public string? Context { get; set; }

    /// <summary>The namespace sessions live in; <c>null</c> uses the context's namespace, else <c>default</c>.</summary>
    public string? Namespace { get; set; }

    /// <summary>Use the in-cluster service account configuration instead of a kubeconfig.</summary>
    public bool InCluster { get; set; }

    /// <summary>The agent image used when a session spec names none.</summary>
    public string AgentImage { get; set; } = "localhost/paude-agent:latest";

    /// <summary>The proxy image used when a session spec names none.</summary>
    public string ProxyImage { get; set; } = "localhost/paude-proxy:latest";

    /// <summary>The image pull policy of both containers (<c>Always</c>, <c>IfNotPresent</c>, <c>Never</c>).</summary>
    public string ImagePullPolicy { get; set; } = "IfNotPresent";

    /// <summary>
    /// Existing <c>kubernetes.io/dockerconfigjson</c> Secrets in the session namespace that agent and proxy pods pull
    /// their images with (<c>imagePullSecrets</c>), for images in a private registry; empty for none.
    /// </summary>
    public IList<string> ImagePullSecrets { get; } = [];

    /// <summary>The size of the workspace PVC.</summary>
    public string StorageSize { get; set; } = "10Gi";

    /// <summary>The storage class of the workspace PVC; <c>null</c> uses the cluster default.</summary>
    public string? StorageClass { get; set; }

    /// <summary>The size limit of the memory-backed <c>/credentials</c> volume.</summary>
    public string CredentialsSizeLimit { get; set; } = "100Mi";

    /// <summary>
    /// Requests of the agent container. Its limits are the session's <see cref="Paude.Sessions.SessionSpec.Limits"/>
    /// (the limits here are not used for the agent; a request above the session's limit is lowered to it).
    /// </summary>
    public ContainerResources AgentResources { get; set; } = new("1", "4Gi", "4", "8Gi");

    /// <summary>Resources of the proxy container (256Mi limit: squid was OOM-killed at 128Mi upstream).</summary>
    public ContainerResources ProxyResources { get; set; } = new("100m", "128Mi", "500m", "256Mi");

    /// <summary>
    /// A fixed UID for both pods; <c>null</c> (the default, right for OpenShift) leaves it to the SCC, which
    /// assigns one from the namespace range.
    /// </summary>
    public long? RunAsUser { get; set; }

    /// <summary>How long to wait for the agent pod and the proxy to become ready.</summary>
    public TimeSpan ReadyTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long to wait for deleted objects to be gone.</summary>
    public TimeSpan DeleteTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>The timeout of one API request (retries come on top).</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often a transient API failure (429, 5xx, dropped connection) is retried.</summary>
    public int MaxRetries { get; set; } = 6;

    /// <summary>The first retry delay; later ones back off exponentially with jitter.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// The duration of the session's sync Lease (<c>coordination.k8s.io/v1</c> <c>paude-sync-&lt;session&gt;</c>) that
    /// every sync holds and an upgrade refuses on, whichever machine runs them; renewed every third of it while held,
    /// so a killed sync blocks upgrades for at most this long. Whole seconds, 1 s to 1 h. <c>null</c> turns the Lease
    /// off (for a namespace where you may not write Leases): syncs then hold only the lock file of their machine.
    /// </summary>
    public TimeSpan? SyncLeaseDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Returns every problem with these options (empty when valid).</summary>
    public IReadOnlyList<string> GetErrors()
    {
        var errors = new List<string>();
        if (KubeconfigPath is not null && !File.Exists(KubeconfigPath))
        {
            errors.Add($"KubeconfigPath: the file '{KubeconfigPath}' does not exist");
        }

        if (InCluster && (KubeconfigPath is not null || Context is not null))
        {
            errors.Add("InCluster: cannot be combined with KubeconfigPath or Context");
        }

        if (Namespace is not null && !IsDnsLabel(Namespace))
        {
            errors.Add($"Namespace: '{Namespace}' is not a DNS-1123 label");
        }

        if (string.IsNullOrWhiteSpace(AgentImage))
        {
            errors.Add("AgentImage: must not be empty");
        }

        if (string.IsNullOrWhiteSpace(ProxyImage))
        {
            errors.Add("ProxyImage: must not be empty");
        }

        if (ImagePullPolicy is not ("Always" or "IfNotPresent" or "Never"))
        {
            errors.Add($"ImagePullPolicy: '{ImagePullPolicy}' is not Always, IfNotPresent or Never");
        }

        foreach (var secret in ImagePullSecrets.Where(s => s is null || !IsDnsLabel(s)))
        {
            errors.Add($"ImagePullSecrets: '{secret}' is not a Secret name (DNS-1123 label)");
        }

        CheckQuantity(errors, nameof(StorageSize), StorageSize);
        CheckQuantity(errors, nameof(CredentialsSizeLimit), CredentialsSizeLimit);
        if (StorageClass is { Length: 0 })
        {
            errors.Add("StorageClass: must not be empty (use null for the cluster default)");
        }

        CheckResources(errors, nameof(AgentResources), AgentResources);
        CheckResources(errors, nameof(ProxyResources), ProxyResources);
        if (RunAsUser is <= 0)
        {
            errors.Add("RunAsUser: must be a positive non-root UID");
        }

        CheckPositive(errors, nameof(ReadyTimeout), ReadyTimeout);
        CheckPositive(errors, nameof(DeleteTimeout), DeleteTimeout);
        CheckPositive(errors, nameof(RequestTimeout), RequestTimeout);
        if (RetryBaseDelay < TimeSpan.Zero)
        {
            errors.Add("RetryBaseDelay: must not be negative");
        }

        if (SyncLeaseDuration is { } lease && (lease < TimeSpan.FromSeconds(1) || lease > TimeSpan.FromHours(1) || lease.Ticks % TimeSpan.TicksPerSecond != 0))
        {
            errors.Add($"SyncLeaseDuration: {lease} is not a whole number of seconds between 1 s and 1 h (null turns the Lease off)");
        }

        if (MaxRetries is < 0 or > 100)
        {
            errors.Add("MaxRetries: must be between 0 and 100");
        }

        return errors;
    }

    internal static bool IsDnsLabel(string value) =>
        value.Length is > 0 and <= 63 && value.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-') &&
        value[0] != '-' && value[^1] != '-';

    private static void CheckResources(List<string> errors, string what, ContainerResources? resources)
    {
        if (resources is null)
        {
            errors.Add($"{what}: must not be null");
            return;
        }

        CheckQuantity(errors, what + ".CpuRequest", resources.CpuRequest);
        CheckQuantity(errors, what + ".MemoryRequest", resources.MemoryRequest);
        CheckQuantity(errors, what + ".CpuLimit", resources.CpuLimit);
        CheckQuantity(errors, what + ".MemoryLimit", resources.MemoryLimit);
    }

    private static void CheckQuantity(List<string> errors, string what, string? value)
    {
        if (value is null)
        {
            return;
        }

        try
        {
            _ = new ResourceQuantity(value).ToDecimal();
        }
        catch (Exception e) when (e is FormatException or ArgumentException or OverflowException)
        {
            errors.Add($"{what}: '{value}' is not a Kubernetes quantity (e.g. 500m, 4Gi)");
        }
    }

    private static void CheckPositive(List<string> errors, string what, TimeSpan value)
    {
        if (value <= TimeSpan.Zero)
        {
            errors.Add($"{what}: must be positive");
        }
    }
}

/// <summary>CPU and memory requests and limits of one container; <c>null</c> leaves a value unset.</summary>
/// <param name="CpuRequest">CPU request (e.g. <c>100m</c>).</param>
/// <param name="MemoryRequest">Memory request (e.g. <c>128Mi</c>).</param>
/// <param name="CpuLimit">CPU limit.</param>
/// <param name="MemoryLimit">Memory limit.</param>
public sealed record ContainerResources(string? CpuRequest, string? MemoryRequest, string? CpuLimit, string? MemoryLimit);
