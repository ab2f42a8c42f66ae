using k8s;
using Paude.Errors;

namespace Paude.Backends.OpenShift;

/// <summary>
/// The client configuration and namespace the options name (kubeconfig as kubectl finds it, or the pod's service
/// account), with the failures a user can fix turned into <see cref="BackendUnavailableException"/>. The backend, the
/// image builder and the pull Secret maker all connect this way, so they reach the same cluster and fail alike.
/// </summary>
internal static class ClusterConnection
{
    /// <summary>Loads the configuration for <paramref name="options"/>; <paramref name="backendName"/> names the failure.</summary>
    public static (KubernetesClientConfiguration Config, string Namespace) Load(string backendName, OpenShiftBackendOptions options)
    {
        if (options.InCluster && !KubernetesClientConfiguration.IsInCluster())
        {
            // Checked here so the message says what is missing, not how the client library failed.
            throw new BackendUnavailableException(backendName, "in-cluster service account",
                "this process does not run in a pod with a service account (KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set and " +
                "/var/run/secrets/kubernetes.io/serviceaccount/token must exist); outside a cluster use a kubeconfig instead");
        }

        KubernetesClientConfiguration config;
        try
        {
            config = options.InCluster
                ? KubernetesClientConfiguration.InClusterConfig()
                : KubeconfigFiles.Load(KubeconfigFiles.ForProcess(options.KubeconfigPath), options.Context);
        }
        catch (Exception e) when (e is k8s.Exceptions.KubeConfigException or FileNotFoundException or IOException or YamlDotNet.Core.YamlException)
        {
            throw new BackendUnavailableException(backendName, options.InCluster ? "in-cluster service account" : "kubeconfig", e.Message, e);
        }

        return (config, options.Namespace ?? config.Namespace ?? "default");
    }
}
