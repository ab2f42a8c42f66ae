using System.Net;
using k8s;
using Microsoft.Extensions.Logging;
using Paude.Backends.OpenShift.Credentials;
using Paude.Backends.OpenShift.Manifests;
using Paude.Backends.OpenShift.Objects;
using Paude.Credentials;
using Paude.Errors;
using Paude.Sessions;

namespace Paude.Backends.OpenShift.Backend;

/// <summary>
/// Create: validates the spec (every problem together, nothing changed), writes the credential Secrets, then every
/// object of <see cref="SessionObjects"/>, and waits until the session runs. Any failure removes exactly what this
/// call made; a session of the same name (even one created concurrently) is never touched.
/// </summary>
internal sealed class OpenShiftProvisioner(
    string backendName,
    KubeApi api,
    OpenShiftSessionReader reader,
    SessionObjectStore objects,
    CredentialDelivery credentials,
    ICredentialPackager? packager,
    PodWaiter waiter,
    OpenShiftBackendOptions options,
    TimeProvider timeProvider,
    ILogger logger)
{
    private string Namespace => api.Namespace;

    public async Task<SessionInfo> CreateAsync(SessionSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        List<string> errors = [.. SessionSpecValidation.Errors(spec, packager), .. SessionPlacement.SpecErrors(spec)];
        if (errors.Count > 0)
        {
            throw new InvalidSessionSpecException(errors);
        }

        var name = spec.ResolveName();
        await EnsureNamespaceAsync(cancellationToken).ConfigureAwait(false);
        if (await reader.ReadStatefulSetAsync(name, cancellationToken).ConfigureAwait(false) is not null)
        {
            throw new SessionAlreadyExistsException(name, backendName);
        }

        Log.Creating(logger, name, Namespace);
        var input = SessionManifestInput.From(spec, name, Namespace, options, timeProvider.GetUtcNow());
        var created = new List<(string What, Func<IKubernetes, CancellationToken, Task> Delete)>();
        try
        {
            // Credentials first: a packaging refusal (e.g. an outside link) then has only these Secrets to undo.
            var credentialParts = await credentials.CreateAsync(name, spec.Credentials, created, cancellationToken).ConfigureAwait(false);
            await objects.CreateAsync(SessionObjectContext.ForCreate(input, options, credentialParts), created, cancellationToken).ConfigureAwait(false);
            await waiter.WaitRunningAsync(name, cancellationToken).ConfigureAwait(false);
        }
        catch (ObjectExistsException e)
        {
            // Expected (a concurrent create of the same name won): one quiet line, no stack, no rollback warning.
            Log.AlreadyExists(logger, name, e.What);
            if (created.Count > 0)
            {
                // Only what this call made goes; the objects in the way carry the same labels, so no wait for "all gone".
                await RollBackAsync(name, created, waitAllGone: false).ConfigureAwait(false);
            }

            throw new SessionAlreadyExistsException(name, backendName);
        }
        catch (Exception e)
        {
            Log.RollingBack(logger, e, name);
            await RollBackAsync(name, created).ConfigureAwait(false);
            throw;
        }

        return await reader.GetRequiredAsync(name, cancellationToken).ConfigureAwait(false);
    }

    private async Task RollBackAsync(SessionName name, List<(string What, Func<IKubernetes, CancellationToken, Task> Delete)> created, bool waitAllGone = true)
    {
        // Not the caller's token: a cancelled create must still clean up. Bounded by the delete timeout.
        using var timeout = new CancellationTokenSource(options.DeleteTimeout, timeProvider);
        for (var i = created.Count - 1; i >= 0; i--)
        {
            try
            {
                await api.DeleteAsync(created[i].What, created[i].Delete, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is PaudeException or OperationCanceledException)
            {
                Log.RollbackFailed(logger, e, name);
            }
        }

        if (!waitAllGone)
        {
            return;
        }

        try
        {
            await objects.WaitAllGoneAsync(name, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is PaudeException or OperationCanceledException)
        {
            Log.RollbackFailed(logger, e, name);
        }
    }

    private async Task EnsureNamespaceAsync(CancellationToken cancellationToken)
    {
        try
        {
            await api.CallAsync("read namespace", (c, ct) => c.CoreV1.ReadNamespaceAsync(Namespace, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
        }
        catch (BackendOperationException e) when (e.InnerException is k8s.Autorest.HttpOperationException { Response.StatusCode: HttpStatusCode.NotFound })
        {
            throw new InvalidOptionsException("OpenShift backend options", [$"Namespace: '{Namespace}' does not exist; Paude never creates namespaces (create it or pick another)"]);
        }
        catch (BackendOperationException e) when (e.InnerException is k8s.Autorest.HttpOperationException { Response.StatusCode: HttpStatusCode.Forbidden })
        {
            // Project users on OpenShift may not read Namespace objects; creating the first object will tell.
        }
    }
}
