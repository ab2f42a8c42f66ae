using System.Collections.Concurrent;
using System.Net;
using System.Text;

namespace Paude.Backends.OpenShift.Images;

/// <summary>
/// Lets the image builder make the two calls KubernetesClient has no method for (a binary upload and a streamed
/// build log) through the client's own pipeline, so TLS, tokens, exec plugins and client certificates apply exactly
/// as for every other call. A carrier call (a custom-object create/get) is marked with <see cref="Header"/>; this
/// handler turns it into the real request — the sub-path appended, the query and body replaced — and hands the
/// response to the call's reader, answering the carrier with what the reader returns.
/// </summary>
internal sealed class RawRequestHandler : DelegatingHandler
{
    public const string Header = "X-Paude-Raw-Call";

    private readonly ConcurrentDictionary<string, RawCall> _calls = new(StringComparer.Ordinal);

    /// <summary>Registers a call; its key goes in <see cref="Header"/> of the carrier request.</summary>
    public string Register(RawCall call)
    {
        var key = Guid.NewGuid().ToString("N");
        _calls[key] = call;
        return key;
    }

    public void Forget(string key) => _calls.TryRemove(key, out _);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (!request.Headers.TryGetValues(Header, out var keys) || !_calls.TryGetValue(keys.First(), out var call))
        {
            return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }

        request.Headers.Remove(Header);
        var uri = request.RequestUri!;
        request.RequestUri = new UriBuilder(uri) { Path = uri.AbsolutePath.TrimEnd('/') + call.AppendPath, Query = call.Query }.Uri;
        if (call.Content is not null)
        {
            request.Content = call.Content;
        }

        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode || call.Reader is null)
        {
            return response;
        }

        using (response)
        {
            var body = await call.Reader(response, cancellationToken).ConfigureAwait(false);
            return new HttpResponseMessage(HttpStatusCode.OK)
            {
                RequestMessage = request,
                Content = new StringContent(body, Encoding.UTF8, "application/json"),
            };
        }
    }
}

/// <summary>One raw call: the sub-path and query of the real request, its body, and how its response is read.</summary>
/// <param name="AppendPath">Appended to the carrier's path, e.g. <c>/paude-agent/instantiatebinary</c>.</param>
/// <param name="Query">The query string (without '?').</param>
/// <param name="Content">The body that replaces the carrier's, or null to keep it.</param>
/// <param name="Reader">Reads a successful response and returns the JSON the carrier gets; null passes it through.</param>
internal sealed record RawCall(string AppendPath, string Query, HttpContent? Content, Func<HttpResponseMessage, CancellationToken, Task<string>>? Reader);
