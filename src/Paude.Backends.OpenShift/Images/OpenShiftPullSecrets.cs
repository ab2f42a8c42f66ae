using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Paude.Backends.OpenShift.Images;
using Paude.Errors;

namespace Paude.Backends.OpenShift;

/// <summary>
/// Creates the image pull Secret sessions name in <see cref="Paude.Sessions.SessionSpec.ImagePullSecrets"/> (or
/// <see cref="OpenShiftBackendOptions.ImagePullSecrets"/>) from a registry login: a
/// <c>kubernetes.io/dockerconfigjson</c> Secret, as <c>kubectl create secret docker-registry</c> makes. Once per
/// namespace and registry, not per session. The credential goes only into the Secret: never into a log, an exception
/// message, a ConfigMap or a session's record (which holds the Secret's name only).
/// </summary>
public sealed class OpenShiftPullSecrets : IDisposable
{
    /// <summary>The label on Secrets this class made: only those are ever replaced.</summary>
    private const string ManagedBy = "app.kubernetes.io/managed-by";

    private readonly Kubernetes _client;
    private readonly ILogger _logger;

    private OpenShiftPullSecrets(Kubernetes client, string ns, ILogger logger)
    {
        _client = client;
        Namespace = ns;
        _logger = logger;
    }

    /// <summary>The namespace the Secrets go to (the options' namespace, else the context's).</summary>
    public string Namespace { get; }

    /// <summary>Connects with the cluster settings of <paramref name="options"/> (kubeconfig, context, namespace, in-cluster).</summary>
    /// <param name="options">The backend options; only the connection settings are used.</param>
    /// <param name="logger">Where progress is logged (names only); <see langword="null"/> for none.</param>
    /// <returns>A writer; dispose it to close its connections.</returns>
    public static OpenShiftPullSecrets Create(OpenShiftBackendOptions options, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.GetErrors();
        if (errors.Count > 0)
        {
            throw new InvalidOptionsException("Invalid OpenShift options", errors);
        }

        var (config, ns) = ClusterConnection.Load("openshift", options);

        return new OpenShiftPullSecrets(new Kubernetes(config), ns, logger ?? NullLogger.Instance);
    }

    /// <summary>
    /// Creates Secret <paramref name="name"/> holding <paramref name="credential"/>, or replaces one this class made
    /// before (a rotated password). A Secret of that name made by anyone else is left alone and refused.
    /// </summary>
    /// <param name="name">The Secret's name (DNS-1123 subdomain), as sessions will name it.</param>
    /// <param name="credential">The registry login.</param>
    /// <param name="cancellationToken">Cancels the API calls.</param>
    /// <returns><c>true</c> when the Secret was created, <c>false</c> when an earlier one of ours was replaced.</returns>
    public async Task<bool> CreateOrReplaceAsync(string name, RegistryCredential credential, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(credential);
        var errors = new List<string>();
        if (!IsSubdomain(name))
        {
            errors.Add($"Name: '{name}' is not a Secret name (DNS-1123 subdomain)");
        }

        errors.AddRange(credential.GetErrors());
        if (errors.Count > 0)
        {
            throw new InvalidOptionsException("image pull secret", errors);
        }

        var secret = new V1Secret
        {
            ApiVersion = "v1",
            Kind = "Secret",
            Type = "kubernetes.io/dockerconfigjson",
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = Namespace, Labels = new Dictionary<string, string> { [ManagedBy] = "paude" } },
            Data = new Dictionary<string, byte[]> { [".dockerconfigjson"] = credential.DockerConfigJson() },
        };

        try
        {
            var existing = await ReadAsync(name, cancellationToken).ConfigureAwait(false);
            if (existing is null)
            {
                await _client.CoreV1.CreateNamespacedSecretAsync(secret, Namespace, cancellationToken: cancellationToken).ConfigureAwait(false);
                ImageLog.PullSecretWritten(_logger, name, Namespace, credential.Server, "created");
                return true;
            }

            if (existing.Metadata.Labels?.TryGetValue(ManagedBy, out var by) != true || by != "paude" || existing.Type != secret.Type)
            {
                throw new InvalidOptionsException("image pull secret", [$"Name: Secret '{name}' exists and was not made by paude (pick another name, or delete it first)"]);
            }

            secret.Metadata.ResourceVersion = existing.Metadata.ResourceVersion;
            await _client.CoreV1.ReplaceNamespacedSecretAsync(secret, name, Namespace, cancellationToken: cancellationToken).ConfigureAwait(false);
            ImageLog.PullSecretWritten(_logger, name, Namespace, credential.Server, "replaced");
            return false;
        }
        catch (HttpOperationException e)
        {
            // Only the status and the API server's reason: the exception's request holds the Secret's body, so it is
            // not kept as the inner exception either.
            throw new BackendOperationException($"Backend 'openshift': writing image pull Secret '{name}' in '{Namespace}' failed: {(int)e.Response.StatusCode} {e.Response.ReasonPhrase}");
        }
    }

    /// <inheritdoc />
    public void Dispose() => _client.Dispose();

    private async Task<V1Secret?> ReadAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            return await _client.CoreV1.ReadNamespacedSecretAsync(name, Namespace, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private static bool IsSubdomain(string? value) =>
        value is { Length: > 0 and <= 253 } && value.Split('.').All(OpenShiftBackendOptions.IsDnsLabel);
}
