using System.Net;
using System.Text.Json;
using k8s;
using k8s.Autorest;
using Paude.Backends.OpenShift.Resilience;
using Paude.Errors;
using Polly;

namespace Paude.Backends.OpenShift.Backend;

/// <summary>
/// Thin wrapper over <see cref="IKubernetes"/>: every call goes through the resilience pipeline and API failures
/// become typed Paude errors carrying the server's own message.
/// </summary>
internal sealed class KubeApi(IKubernetes client, string ns, ResiliencePipeline pipeline)
{
    public IKubernetes Client { get; } = client;

    public string Namespace { get; } = ns;

    public async Task<T> CallAsync<T>(string what, Func<IKubernetes, CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        try
        {
            return await pipeline.ExecuteAsync(async ct => await call(Client, ct).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (Translate(what, e) is { } translated)
        {
            throw translated;
        }
    }

    public Task CallAsync(string what, Func<IKubernetes, CancellationToken, Task> call, CancellationToken cancellationToken) =>
        CallAsync<bool>(what, async (c, ct) =>
        {
            await call(c, ct).ConfigureAwait(false);
            return true;
        }, cancellationToken);

    /// <summary>
    /// Calls the API and returns the answer, or the status when the server answered with one of
    /// <paramref name="expected"/> (a 409 Conflict of optimistic concurrency, a 404): the caller decides what they mean.
    /// Transient failures are retried like every call; a retried write may therefore meet its own earlier success as
    /// a conflict, which the caller resolves by reading the object.
    /// </summary>
    public async Task<(T? Value, HttpStatusCode? Status)> TryCallAsync<T>(string what, Func<IKubernetes, CancellationToken, Task<T>> call, IReadOnlyCollection<HttpStatusCode> expected, CancellationToken cancellationToken)
        where T : class
    {
        try
        {
            return await pipeline.ExecuteAsync(
                async ct =>
                {
                    try
                    {
                        return ((T?)await call(Client, ct).ConfigureAwait(false), (HttpStatusCode?)null);
                    }
                    catch (HttpOperationException e) when (e.Response is { } r && expected.Contains(r.StatusCode))
                    {
                        return (null, r.StatusCode);
                    }
                },
                cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (Translate(what, e) is { } translated)
        {
            throw translated;
        }
    }

    /// <summary>Reads an object, or <c>null</c> when it does not exist.</summary>
    public async Task<T?> GetOrNullAsync<T>(string what, Func<IKubernetes, CancellationToken, Task<T>> read, CancellationToken cancellationToken)
        where T : class
    {
        try
        {
            return await pipeline.ExecuteAsync(async ct => await read(Client, ct).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response?.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        catch (Exception e) when (Translate(what, e) is { } translated)
        {
            throw translated;
        }
    }

    /// <summary>
    /// Creates an object. A 409 on the first attempt means someone else's object is in the way (thrown as
    /// <see cref="ObjectExistsException"/>); a 409 on a retry means our earlier attempt did reach the server.
    /// </summary>
    public async Task CreateAsync(string what, Func<IKubernetes, CancellationToken, Task> create, CancellationToken cancellationToken)
    {
        var attempts = 0;
        try
        {
            await pipeline.ExecuteAsync(
                async ct =>
                {
                    attempts++;
                    try
                    {
                        await create(Client, ct).ConfigureAwait(false);
                    }
                    catch (HttpOperationException e) when (e.Response?.StatusCode == HttpStatusCode.Conflict && attempts > 1)
                    {
                        // Our previous attempt was applied although its answer was lost.
                    }
                },
                cancellationToken).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response?.StatusCode == HttpStatusCode.Conflict)
        {
            throw new ObjectExistsException(what);
        }
        catch (Exception e) when (Translate(what, e) is { } translated)
        {
            throw translated;
        }
    }

    /// <summary>Deletes an object; returns <c>false</c> when it was already gone.</summary>
    public async Task<bool> DeleteAsync(string what, Func<IKubernetes, CancellationToken, Task> delete, CancellationToken cancellationToken)
    {
        var attempts = 0;
        var existed = true;
        try
        {
            await pipeline.ExecuteAsync(
                async ct =>
                {
                    attempts++;
                    try
                    {
                        await delete(Client, ct).ConfigureAwait(false);
                    }
                    catch (HttpOperationException e) when (e.Response?.StatusCode == HttpStatusCode.NotFound)
                    {
                        // On a retry a 404 means our earlier attempt deleted it.
                        existed = attempts > 1;
                    }
                    catch (JsonException)
                    {
                        // A 2xx answer whose body is a Status instead of the deleted object: deleted all the same.
                    }
                },
                cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (Translate(what, e) is { } translated)
        {
            throw translated;
        }

        return existed;
    }

    private static BackendOperationException? Translate(string what, Exception e)
    {
        switch (e)
        {
            case PaudeException:
            case OperationCanceledException when e is not Polly.Timeout.TimeoutRejectedException:
                return null;
            case HttpOperationException http:
                var status = http.Response is null ? "no response" : $"{(int)http.Response.StatusCode} {http.Response.StatusCode}";
                return new BackendOperationException($"Kubernetes API call failed ({what}): {status}: {ServerMessage(http)}", e);
            default:
                return new BackendOperationException($"Kubernetes API call failed ({what}): {e.GetType().Name}: {e.Message}", e);
        }
    }

    private static string ServerMessage(HttpOperationException e)
    {
        var body = e.Response?.Content;
        if (string.IsNullOrEmpty(body))
        {
            return e.Message;
        }

        try
        {
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("message", out var message))
            {
                return message.GetString() ?? e.Message;
            }
        }
        catch (JsonException)
        {
            // Not a Status object; fall through to a bounded excerpt.
        }

        return body.Length > 300 ? body[..300] : body;
    }
}

/// <summary>An object the backend wanted to create already exists.</summary>
internal sealed class ObjectExistsException(string what) : Exception($"{what} already exists.")
{
    public string What { get; } = what;
}
