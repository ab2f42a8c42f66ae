using System.IO.Pipelines;
using k8s;
using k8s.Models;
using Paude.Backends.OpenShift.Backend;
using Paude.Credentials;
using Paude.Sessions;

namespace Paude.Backends.OpenShift.Credentials;

/// <summary>
/// Streams a session's credential package from the packager into its part Secrets: the package is never held
/// whole (at most part 0, which waits for the manifest, and the part being written). Parts 1..n-1 are written as
/// they fill, part 0 with the manifest last, so a refresh that fails half-way leaves an old manifest that no longer
/// matches the new parts: the restore step refuses it instead of unpacking a mix. Secrets beyond the new count are
/// removed afterwards.
/// </summary>
internal sealed class CredentialSecretWriter(KubeApi api, ICredentialPackager packager)
{
    private string Namespace => api.Namespace;

    /// <summary>Writes (creates or replaces) the part Secrets of <paramref name="sources"/>; returns the part count.</summary>
    public async Task<int> WriteAsync(SessionName name, IReadOnlyList<string> sources, CancellationToken cancellationToken)
    {
        var existing = await ExistingAsync(name, cancellationToken).ConfigureAwait(false);
        byte[] first = [];
        var firstName = CredentialParts.PartName(0);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);

        // 1 MiB of back-pressure: the packager runs at most that far ahead of the Secret writes.
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 1024 * 1024, resumeWriterThreshold: 512 * 1024));
        var producer = Task.Run(() => ProduceAsync(pipe.Writer, sources, stop.Token), CancellationToken.None);
        CredentialPartsManifest manifest;
        try
        {
            var reader = pipe.Reader.AsStream();
            await using (reader.ConfigureAwait(false))
            {
                // The packager's own failure (refused link, unknown source) surfaces here, rethrown by the pipe.
                manifest = await CredentialParts.SplitAsync(
                    reader,
                    async (part, ct) =>
                    {
                        if (part.Index == 0)
                        {
                            first = part.Data.ToArray();
                            firstName = part.Name;
                            return;
                        }

                        await UpsertAsync(CredentialSecrets.Build(name, Namespace, part.Index, part.Name, part.Data.Span, null), existing, ct).ConfigureAwait(false);
                    },
                    cancellationToken: cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            // On an API failure the packager must not keep writing into a pipe nobody reads.
            await stop.CancelAsync().ConfigureAwait(false);
            await producer.ConfigureAwait(false);
        }

        await UpsertAsync(CredentialSecrets.Build(name, Namespace, 0, firstName, first, manifest), existing, cancellationToken).ConfigureAwait(false);
        foreach (var stale in existing.Where(e => e.Value >= manifest.Parts.Count))
        {
            await DeleteAsync(stale.Key, cancellationToken).ConfigureAwait(false);
        }

        return manifest.Parts.Count;
    }

    /// <summary>Removes every credential Secret of the session (idempotent); returns whether any existed.</summary>
    public async Task<bool> DeleteAllAsync(SessionName name, CancellationToken cancellationToken)
    {
        var existed = false;
        foreach (var secret in (await ExistingAsync(name, cancellationToken).ConfigureAwait(false)).Keys)
        {
            existed |= await DeleteAsync(secret, cancellationToken).ConfigureAwait(false);
        }

        return existed;
    }

    private async Task ProduceAsync(PipeWriter writer, IReadOnlyList<string> sources, CancellationToken cancellationToken)
    {
        try
        {
            var stream = writer.AsStream(leaveOpen: true);
            await using (stream.ConfigureAwait(false))
            {
                await packager.WritePackageAsync(sources, stream, cancellationToken).ConfigureAwait(false);
            }

            await writer.CompleteAsync().ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Every packager failure is handed to the reader, which rethrows it.
        catch (Exception e)
#pragma warning restore CA1031
        {
            await writer.CompleteAsync(e).ConfigureAwait(false);
        }
    }

    /// <summary>The session's credential Secrets by name, with their part index.</summary>
    private async Task<Dictionary<string, int>> ExistingAsync(SessionName name, CancellationToken cancellationToken)
    {
        var list = await api.CallAsync(
            "list credential secrets",
            (c, ct) => c.CoreV1.ListNamespacedSecretAsync(Namespace, labelSelector: CredentialSecrets.Selector(name), cancellationToken: ct),
            cancellationToken).ConfigureAwait(false);
        var result = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var secret in list.Items)
        {
            if (CredentialSecrets.IndexOf(name, secret.Metadata.Name) is { } index)
            {
                result[secret.Metadata.Name] = index;
            }
        }

        return result;
    }

    private async Task UpsertAsync(V1Secret secret, Dictionary<string, int> existing, CancellationToken cancellationToken)
    {
        var secretName = secret.Metadata.Name;
        var what = $"Secret {secretName}";
        if (!existing.ContainsKey(secretName))
        {
            try
            {
                await api.CreateAsync(what, (c, ct) => c.CoreV1.CreateNamespacedSecretAsync(secret, Namespace, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (ObjectExistsException)
            {
                // Left by an earlier attempt: replaced below.
            }
        }

        // Unconditional replace (no resourceVersion): the backend is the only writer of these Secrets.
        await api.CallAsync(what, (c, ct) => c.CoreV1.ReplaceNamespacedSecretAsync(secret, secretName, Namespace, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
    }

    private Task<bool> DeleteAsync(string secretName, CancellationToken cancellationToken) =>
        api.DeleteAsync($"Secret {secretName}", (c, ct) => c.CoreV1.DeleteNamespacedSecretAsync(secretName, Namespace, cancellationToken: ct), cancellationToken);
}
