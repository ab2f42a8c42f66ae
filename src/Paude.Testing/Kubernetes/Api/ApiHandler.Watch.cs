using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Paude.Testing.Kubernetes.Store;

namespace Paude.Testing.Kubernetes.Api;

internal sealed partial class ApiHandler
{
    /// <summary>
    /// A watch: chunked JSON lines <c>{"type":..,"object":..}</c>. Without a resourceVersion (or "0") it starts with
    /// ADDED for every current match; with one it replays history after it (410 Expired when too old). An object that
    /// stops matching the selectors is sent as DELETED, one that starts matching as ADDED, like the watch cache.
    /// <c>sendInitialEvents=true</c> (client-go's watch-list) sends ADDED for the current state whatever the
    /// resourceVersion, then a BOOKMARK annotated <c>k8s.io/initial-events-end</c> when bookmarks are allowed.
    /// </summary>
    private async Task WatchAsync(HttpContext context, ResourceType type, string? ns, TimeSpan? cut)
    {
        var query = context.Request.Query;
        var filter = Selectors.Parse(query["labelSelector"], query["fieldSelector"]);
        var timeout = int.TryParse(query["timeoutSeconds"], CultureInfo.InvariantCulture, out var seconds) && seconds > 0 ? TimeSpan.FromSeconds(seconds) : TimeSpan.FromMinutes(30);
        if (cut is { } c && c < timeout)
        {
            timeout = c;
        }

        var rvText = (string?)query["resourceVersion"];
        long.TryParse(rvText, CultureInfo.InvariantCulture, out var fromRv);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        cts.CancelAfter(timeout);
        var ct = cts.Token;

        var sendInitialEvents = IsTrue(query["sendInitialEvents"]);
        var bookmarks = IsTrue(query["allowWatchBookmarks"]);
        var matching = new HashSet<(string, string)>();
        var initial = new List<JsonObject>();
        long startRv = fromRv;
        if (fromRv == 0 || sendInitialEvents)
        {
            var (items, rv) = store.List(type, ns, filter);
            initial = items;
            startRv = rv;
        }
        else
        {
            // Resuming: what matches now is the best estimate of what the client saw matching.
            foreach (var item in store.List(type, ns, filter).Items)
            {
                matching.Add((item.Namespace() ?? "", item.Name()));
            }
        }

        var reader = store.Subscribe(startRv, out var expired);
        try
        {
            context.Response.StatusCode = 200;
            context.Response.ContentType = "application/json";
            await context.Response.StartAsync(ct).ConfigureAwait(false);

            // Headers now, as the apiserver sends them: Kestrel holds them until the first body flush, and kubectl
            // wait (watch with context.TODO()) cannot end until its watch request has its response headers.
            await context.Response.Body.FlushAsync(ct).ConfigureAwait(false);
            if (expired)
            {
                var status = KubeApiException.Status(410, "Expired", $"too old resource version: {fromRv} ({store.CurrentResourceVersion})", null);
                await WriteEventAsync(context, "ERROR", status, ct).ConfigureAwait(false);
                return;
            }

            foreach (var item in initial)
            {
                matching.Add((item.Namespace() ?? "", item.Name()));
                await WriteEventAsync(context, "ADDED", item, ct).ConfigureAwait(false);
            }

            if (sendInitialEvents && bookmarks)
            {
                await WriteEventAsync(context, "BOOKMARK", InitialEventsEnd(type, startRv), ct).ConfigureAwait(false);
            }

            await foreach (var e in reader.ReadAllAsync(ct).ConfigureAwait(false))
            {
                if (e.Resource != type || (ns is not null && e.Namespace != ns))
                {
                    continue;
                }

                var key = (e.Namespace ?? "", e.Object.Name());
                var matches = filter(e.Object);
                var wasMatching = matching.Contains(key);
                string? send = (e.Type, matches, wasMatching) switch
                {
                    ("DELETED", true, _) => "DELETED",
                    ("DELETED", false, true) => "DELETED",
                    (_, true, false) => "ADDED",
                    (_, true, true) => e.Type == "ADDED" ? "ADDED" : "MODIFIED",
                    (_, false, true) => "DELETED",
                    _ => null,
                };
                if (matches && e.Type != "DELETED")
                {
                    matching.Add(key);
                }
                else
                {
                    matching.Remove(key);
                }

                if (send is not null)
                {
                    await WriteEventAsync(context, send, e.Object, ct).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Timeout, injected end or the client left: the stream simply ends, as a real watch does.
        }
        finally
        {
            store.Unsubscribe(reader);
        }
    }

    /// <summary>The bookmark that tells a watch-list client its initial state is complete (and at which version).</summary>
    private static JsonObject InitialEventsEnd(ResourceType type, long resourceVersion) => new()
    {
        ["kind"] = type.Kind,
        ["apiVersion"] = type.ApiVersion,
        ["metadata"] = new JsonObject
        {
            ["resourceVersion"] = resourceVersion.ToString(CultureInfo.InvariantCulture),
            ["annotations"] = new JsonObject { ["k8s.io/initial-events-end"] = "true" },
        },
    };

    private static async Task WriteEventAsync(HttpContext context, string type, JsonObject obj, CancellationToken ct)
    {
        var line = new JsonObject { ["type"] = type, ["object"] = obj.DeepClone() }.ToJsonString() + "\n";
        await context.Response.WriteAsync(line, ct).ConfigureAwait(false);
        await context.Response.Body.FlushAsync(ct).ConfigureAwait(false);
    }

    private async Task ScaleAsync(HttpContext context, ApiRequest r)
    {
        var type = r.Type;
        switch (context.Request.Method)
        {
            case "GET":
                await WriteAsync(context, 200, ToScale(store.Get(type, r.Namespace, r.Name!))).ConfigureAwait(false);
                break;
            case "PUT":
                {
                    var body = await ReadObjectAsync(context).ConfigureAwait(false);
                    var replicas = body["spec"].Int("replicas", -1);
                    var rv = body["metadata"]?.Str("resourceVersion");
                    var updated = store.Update(type, r.Namespace, r.Name!, current =>
                    {
                        if (rv is { Length: > 0 } && rv != current.Metadata().Str("resourceVersion"))
                        {
                            throw KubeApiException.Conflict(type, r.Name!);
                        }

                        current.Obj("spec")["replicas"] = replicas;
                        return current;
                    });
                    await WriteAsync(context, 200, ToScale(updated)).ConfigureAwait(false);
                    break;
                }

            case "PATCH":
                {
                    var text = await ReadTextAsync(context).ConfigureAwait(false);
                    var contentType = context.Request.ContentType ?? "";
                    var updated = store.Update(type, r.Namespace, r.Name!, current =>
                    {
                        var scale = Patches.Apply(ToScale(current), contentType, text);
                        current.Obj("spec")["replicas"] = scale["spec"].Int("replicas", 0);
                        return current;
                    });
                    await WriteAsync(context, 200, ToScale(updated)).ConfigureAwait(false);
                    break;
                }

            default:
                throw KubeApiException.MethodNotAllowed();
        }
    }

    private static JsonObject ToScale(JsonObject obj)
    {
        var selector = Meta.StringMap(obj["spec"]?["selector"]?["matchLabels"]);
        return new JsonObject
        {
            ["kind"] = "Scale",
            ["apiVersion"] = "autoscaling/v1",
            ["metadata"] = new JsonObject
            {
                ["name"] = obj.Name(),
                ["namespace"] = obj.Namespace(),
                ["uid"] = obj.Uid(),
                ["resourceVersion"] = obj.Metadata().Str("resourceVersion"),
                ["creationTimestamp"] = obj.Metadata().Str("creationTimestamp"),
            },
            ["spec"] = new JsonObject { ["replicas"] = obj["spec"].Int("replicas", 1) },
            ["status"] = new JsonObject
            {
                ["replicas"] = obj["status"].Int("replicas", 0),
                ["selector"] = string.Join(',', selector.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value}")),
            },
        };
    }

    private async Task StatusAsync(HttpContext context, ApiRequest r)
    {
        switch (context.Request.Method)
        {
            case "GET":
                await WriteAsync(context, 200, store.Get(r.Type, r.Namespace, r.Name!)).ConfigureAwait(false);
                break;
            case "PUT":
                {
                    var body = await ReadObjectAsync(context).ConfigureAwait(false);
                    await WriteAsync(context, 200, store.Replace(r.Type, r.Namespace, r.Name!, body, statusOnly: true)).ConfigureAwait(false);
                    break;
                }

            case "PATCH":
                {
                    var text = await ReadTextAsync(context).ConfigureAwait(false);
                    var contentType = context.Request.ContentType ?? "";
                    var patched = store.Update(r.Type, r.Namespace, r.Name!, current => Patches.Apply(current, contentType, text), statusOnly: true);
                    await WriteAsync(context, 200, patched).ConfigureAwait(false);
                    break;
                }

            default:
                throw KubeApiException.MethodNotAllowed();
        }
    }
}
