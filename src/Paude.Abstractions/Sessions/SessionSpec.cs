using Paude.Egress;
using Paude.Errors;

namespace Paude.Sessions;

/// <summary>
/// Everything needed to create a session. Immutable; validated once by <see cref="Validate"/>, which reports
/// every problem together.
/// </summary>
public sealed record SessionSpec
{
    /// <summary>The session name; <c>null</c> derives one from <see cref="Workspace"/>.</summary>
    public SessionName? Name { get; init; }

    /// <summary>The host workspace folder the session works on (must exist when set).</summary>
    public string? Workspace { get; init; }

    /// <summary>The agent image; <c>null</c> uses the backend's default.</summary>
    public string? AgentImage { get; init; }

    /// <summary>The proxy image; <c>null</c> uses the backend's default.</summary>
    public string? ProxyImage { get; init; }

    /// <summary>
    /// The agent command, as an argument vector (default <c>paude-agent-claude</c>: Claude Code configured for the
    /// sandbox). Ignored when <see cref="Agent"/> is set.
    /// </summary>
    public IReadOnlyList<string> AgentCommand { get; init; } = ["paude-agent-claude"];

    /// <summary>A known agent and its arguments; when set, it replaces <see cref="AgentCommand"/>.</summary>
    public SessionAgent? Agent { get; init; }

    /// <summary>Extra environment for the agent container. Not for secrets: use credentials.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>The egress allow-list (default: <see cref="EgressPolicy.Default"/>).</summary>
    public EgressPolicy Egress { get; init; } = EgressPolicy.Default;

    /// <summary>Start the agent inside tmux without a terminal on create (default <c>true</c>).</summary>
    public bool Headless { get; init; } = true;

    /// <summary>
    /// The user to run as, <c>UID[:GID]</c> (e.g. <c>1000680000:0</c>, OpenShift style); <c>null</c> uses the
    /// backend's default.
    /// </summary>
    public string? User { get; init; }

    /// <summary>
    /// Names of the credential sources to package into the session (e.g. <c>claude</c>, <c>gcloud</c>,
    /// <c>git</c>); delivered to a memory-backed directory on create and on every start.
    /// </summary>
    public IReadOnlyList<string> Credentials { get; init; } = [];

    /// <summary>
    /// Memory, CPU and process limits, requests and GPUs of the agent container (default <see cref="SessionLimits.Default"/>).
    /// </summary>
    public SessionLimits Limits { get; init; } = SessionLimits.Default;

    /// <summary>
    /// The size of the workspace volume in bytes; <c>null</c> uses the backend's default. Kubernetes only (the PVC's
    /// <c>resources.requests.storage</c>, at least 1 MiB): Podman's local volumes have no size without XFS project
    /// quotas, so the Podman backend refuses it rather than ignore it.
    /// </summary>
    public long? WorkspaceSizeBytes { get; init; }

    /// <summary>
    /// The storage class of the workspace volume (the PVC's <c>storageClassName</c>); <c>null</c> uses the backend's
    /// default. Kubernetes only; the Podman backend refuses it.
    /// </summary>
    public string? StorageClass { get; init; }

    /// <summary>
    /// Node labels the session's pods (agent and proxy) must run on (<c>spec.nodeSelector</c>), e.g. a GPU node pool.
    /// Kubernetes only: Podman runs on this machine, so the Podman backend refuses it rather than ignore it.
    /// </summary>
    public IReadOnlyDictionary<string, string> NodeSelector { get; init; } = new Dictionary<string, string>();

    /// <summary>Taints the session's pods (agent and proxy) tolerate. Kubernetes only; the Podman backend refuses them.</summary>
    public IReadOnlyList<SessionToleration> Tolerations { get; init; } = [];

    /// <summary>
    /// Names of existing <c>kubernetes.io/dockerconfigjson</c> Secrets the session's pods pull their images with, on
    /// top of the backend's own (<c>imagePullSecrets</c>). Only names are stored, never a credential. Kubernetes only:
    /// the Podman backend never pulls, so it refuses them.
    /// </summary>
    public IReadOnlyList<string> ImagePullSecrets { get; init; } = [];

    /// <summary>Returns every problem with this spec (empty when valid).</summary>
    public IReadOnlyList<string> GetErrors()
    {
        var errors = new List<string>();
        if (Name is null && Workspace is null)
        {
            errors.Add("Name: a name or a workspace (to derive the name from) is required");
        }

        if (Workspace is not null && !Directory.Exists(Workspace))
        {
            errors.Add($"Workspace: the folder '{Workspace}' does not exist");
        }

        if (AgentImage is not null && string.IsNullOrWhiteSpace(AgentImage))
        {
            errors.Add("AgentImage: must not be blank");
        }

        if (ProxyImage is not null && string.IsNullOrWhiteSpace(ProxyImage))
        {
            errors.Add("ProxyImage: must not be blank");
        }

        if (AgentCommand.Count == 0 || AgentCommand.Any(string.IsNullOrEmpty))
        {
            errors.Add("AgentCommand: needs at least one non-empty argument");
        }

        if (Agent is not null)
        {
            errors.AddRange(Agent.GetErrors());
        }

        foreach (var key in Environment.Keys)
        {
            if (key.Length == 0 || key.Contains('=', StringComparison.Ordinal) || key.Contains('\0', StringComparison.Ordinal))
            {
                errors.Add($"Environment: '{key}' is not a valid variable name");
            }
        }

        foreach (var source in Credentials)
        {
            if (string.IsNullOrWhiteSpace(source) || !source.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-'))
            {
                errors.Add($"Credentials: '{source}' is not a credential source name");
            }
        }

        if (User is not null && !IsValidUser(User))
        {
            errors.Add($"User: '{User}' is not UID or UID:GID with numeric ids");
        }

        if (Limits is null)
        {
            errors.Add("Limits: must not be null");
        }
        else
        {
            errors.AddRange(Limits.GetErrors());
        }

        AddClusterErrors(errors);
        return errors;
    }

    /// <summary>Throws <see cref="InvalidSessionSpecException"/> listing every problem, if there are any.</summary>
    public void Validate()
    {
        var errors = GetErrors();
        if (errors.Count > 0)
        {
            throw new InvalidSessionSpecException(errors);
        }
    }

    /// <summary>The argument vector the agent container runs: <see cref="Agent"/>'s launcher, else <see cref="AgentCommand"/>.</summary>
    public IReadOnlyList<string> ResolveAgentCommand() => Agent?.ToCommand() ?? AgentCommand;

    /// <summary>The session name: <see cref="Name"/>, or one derived from <see cref="Workspace"/>.</summary>
    public SessionName ResolveName() => Name ?? SessionName.Generate(Workspace ?? throw new InvalidSessionSpecException(["Name: a name or a workspace is required"]));

    private void AddClusterErrors(List<string> errors)
    {
        if (WorkspaceSizeBytes is < 1024 * 1024)
        {
            errors.Add($"WorkspaceSizeBytes: {WorkspaceSizeBytes} is below the minimum of 1 MiB (1048576)");
        }

        if (StorageClass is not null && !KubernetesNames.IsSubdomain(StorageClass))
        {
            errors.Add($"StorageClass: '{StorageClass}' is not a StorageClass name (DNS-1123 subdomain)");
        }

        foreach (var (key, value) in NodeSelector ?? new Dictionary<string, string>())
        {
            if (!KubernetesNames.IsQualifiedName(key))
            {
                errors.Add($"NodeSelector: key '{key}' is not a Kubernetes label key");
            }

            if (!KubernetesNames.IsLabelValue(value))
            {
                errors.Add($"NodeSelector: value '{value}' of '{key}' is not a Kubernetes label value");
            }
        }

        for (var i = 0; i < (Tolerations?.Count ?? 0); i++)
        {
            errors.AddRange(Tolerations![i] is { } toleration ? toleration.GetErrors(i) : [$"Tolerations[{i}]: must not be null"]);
        }

        foreach (var secret in ImagePullSecrets ?? [])
        {
            if (!KubernetesNames.IsSubdomain(secret))
            {
                errors.Add($"ImagePullSecrets: '{secret}' is not a Secret name (DNS-1123 subdomain)");
            }
        }
    }

    private static bool IsValidUser(string user)
    {
        var parts = user.Split(':');
        return parts.Length is 1 or 2 && parts.All(p => p.Length > 0 && p.All(char.IsAsciiDigit));
    }
}
