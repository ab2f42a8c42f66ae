using Paude.Cli.Output;

namespace Paude.Cli.Hosting;

/// <summary>
/// The backend one invocation talks to and its cluster settings, resolved once from the global options and the
/// environment (<c>PAUDE_BACKEND</c>). Cluster options with a non-cluster backend are a usage error: silently
/// ignoring <c>--namespace</c> would run the command somewhere the user did not ask for. <c>--in-cluster</c> takes
/// the pod's service account instead of a kubeconfig, so it cannot go with <c>--kubeconfig</c> or <c>--context</c>.
/// </summary>
internal sealed record BackendSelection(string Backend, string? Kubeconfig, string? Context, string? Namespace, bool InCluster = false)
{
    public const string Podman = "podman";

    public const string OpenShift = "openshift";

    /// <summary>Whether any cluster option was given.</summary>
    public bool HasClusterOptions => Kubeconfig is not null || Context is not null || Namespace is not null || InCluster;

    /// <summary>Resolves the selection; throws <see cref="CliUsageException"/> for options that do not fit the backend.</summary>
    public static BackendSelection Resolve(string? backend, string? kubeconfig, string? context, string? ns, Func<string, string?> environment, bool inCluster = false)
    {
        var name = backend ?? (environment("PAUDE_BACKEND") is { Length: > 0 } fromEnv ? fromEnv.Trim() : Podman);
        var selection = new BackendSelection(name, kubeconfig is null ? null : Path.GetFullPath(kubeconfig), context, ns, inCluster);
        if (selection.HasClusterOptions && name != OpenShift)
        {
            var given = new[] { ("--kubeconfig", kubeconfig), ("--context", context), ("--namespace", ns), ("--in-cluster", inCluster ? "" : null) }
                .Where(o => o.Item2 is not null).Select(o => o.Item1).ToList();
            throw new CliUsageException(
                $"{string.Join(", ", given)} {(given.Count == 1 ? "applies" : "apply")} only to the openshift backend, but the backend is '{name}' (add --backend openshift or set PAUDE_BACKEND=openshift)");
        }

        if (inCluster && (kubeconfig is not null || context is not null))
        {
            var conflicting = new[] { ("--kubeconfig", kubeconfig), ("--context", context) }.Where(o => o.Item2 is not null).Select(o => o.Item1);
            throw new CliUsageException(
                $"--in-cluster cannot be combined with {string.Join(" or ", conflicting)}: in-cluster mode connects with the pod's service account, not a kubeconfig (drop one of them)");
        }

        return selection;
    }
}
