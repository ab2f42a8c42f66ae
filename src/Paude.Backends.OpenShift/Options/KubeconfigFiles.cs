using k8s;
using k8s.KubeConfigModels;

namespace Paude.Backends.OpenShift;

/// <summary>
/// Finds and loads the kubeconfig the way kubectl does, so <c>KUBECONFIG=a:b paude --backend openshift …</c> talks to the
/// same cluster as <c>kubectl</c>: an explicit path wins; else <c>$KUBECONFIG</c>, a list separated by the platform's
/// path separator whose files are merged (the first file to name a cluster, user, context or current context wins;
/// files that do not exist are skipped); else <c>~/.kube/config</c>. The client library alone reads only the last one.
/// </summary>
internal static class KubeconfigFiles
{
    /// <summary>The kubeconfig files to merge, in order; never empty (the default path may not exist: loading says so).</summary>
    public static IReadOnlyList<string> Resolve(string? explicitPath, string? kubeconfigVariable, string homeDirectory)
    {
        if (explicitPath is not null)
        {
            return [explicitPath];
        }

        if (!string.IsNullOrEmpty(kubeconfigVariable))
        {
            var listed = kubeconfigVariable.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Distinct(StringComparer.Ordinal)
                .ToList();
            var existing = listed.Where(File.Exists).ToList();

            // kubectl skips missing files; when none exists it reports the list, which is what the caller needs to see.
            return existing.Count > 0 ? existing : listed;
        }

        return [Path.Combine(homeDirectory, ".kube", "config")];
    }

    /// <summary>Loads and merges <paramref name="files"/> and builds the client configuration for <paramref name="context"/>.</summary>
    /// <exception cref="FileNotFoundException">None of the files exists.</exception>
    public static KubernetesClientConfiguration Load(IReadOnlyList<string> files, string? context)
    {
        var missing = files.Where(f => !File.Exists(f)).ToList();
        if (missing.Count == files.Count)
        {
            throw new FileNotFoundException($"no kubeconfig file found (looked for {string.Join(", ", files.Select(f => $"'{f}'"))})");
        }

        // Each file is read on its own (relative certificate paths resolve against that file), then merged by kubectl's
        // rule: a cluster, user or context already named by an earlier file keeps the earlier definition, and the first
        // file that sets a current context decides it.
        K8SConfiguration? merged = null;
        foreach (var file in files.Where(File.Exists))
        {
            var next = KubernetesClientConfiguration.LoadKubeConfig(new FileInfo(file));
            if (merged is null)
            {
                merged = next;
                continue;
            }

            merged.Clusters = MergeByName(merged.Clusters, next.Clusters, c => c.Name);
            merged.Users = MergeByName(merged.Users, next.Users, u => u.Name);
            merged.Contexts = MergeByName(merged.Contexts, next.Contexts, c => c.Name);
            if (string.IsNullOrEmpty(merged.CurrentContext))
            {
                merged.CurrentContext = next.CurrentContext;
            }
        }

        return KubernetesClientConfiguration.BuildConfigFromConfigObject(merged!, context);
    }

    private static List<T> MergeByName<T>(IEnumerable<T>? first, IEnumerable<T>? later, Func<T, string> name)
    {
        var result = new List<T>(first ?? []);
        var seen = new HashSet<string>(result.Select(name), StringComparer.Ordinal);
        result.AddRange((later ?? []).Where(item => seen.Add(name(item))));
        return result;
    }

    /// <summary>The files for these options from the process environment.</summary>
    public static IReadOnlyList<string> ForProcess(string? explicitPath) =>
        Resolve(explicitPath, Environment.GetEnvironmentVariable("KUBECONFIG"), Environment.GetFolderPath(Environment.SpecialFolder.UserProfile));
}
