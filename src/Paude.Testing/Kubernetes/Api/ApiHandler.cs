using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Paude.Testing.Kubernetes.Builds;
using Paude.Testing.Kubernetes.Store;

namespace Paude.Testing.Kubernetes.Api;

/// <summary>Serves discovery and every resource verb over HTTP with apiserver semantics.</summary>
internal sealed partial class ApiHandler(ObjectStore store, KubernetesFaults faults, IPodIo podIo, BinaryBuilds builds)
{
    public async Task HandleAsync(HttpContext context)
    {
        var ct = context.RequestAborted;
        try
        {
            var path = context.Request.Path.Value ?? "/";
            var segments = path.Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries);
            if (await TryDiscoveryAsync(context, segments).ConfigureAwait(false))
            {
                return;
            }

            var request = segments switch
            {
                ["api", var v, .. var rest] => ApiRequest.Parse("", v, rest),
                ["apis", var g, var v, .. var rest] => ApiRequest.Parse(g, v, rest),
                _ => null,
            };
            if (request is null)
            {
                throw new KubeApiException(404, "NotFound", "the server could not find the requested resource", new JsonObject());
            }

            var watchQuery = IsTrue(context.Request.Query["watch"]);
            var verb = request.Verb(context.Request.Method, watchQuery);
            var resourceName = request.Subresource is null ? request.Type.Plural : $"{request.Type.Plural}/{request.Subresource}";
            TimeSpan? watchCut = null;
            foreach (var rule in faults.Draw(verb, resourceName))
            {
                switch (rule.Action)
                {
                    case FaultAction.Latency:
                        await Task.Delay(rule.Latency, ct).ConfigureAwait(false);
                        break;
                    case FaultAction.DropConnection:
                        context.Abort();
                        return;
                    case FaultAction.EndWatch:
                        watchCut = rule.WatchDuration;
                        break;
                    default:
                        await WriteFaultAsync(context, rule).ConfigureAwait(false);
                        return;
                }
            }

            await DispatchAsync(context, request, verb, watchCut).ConfigureAwait(false);
        }
        catch (KubeApiException e)
        {
            if (!context.Response.HasStarted)
            {
                await WriteAsync(context, e.Code, e.ToStatus()).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The client went away.
        }
    }

    private async Task DispatchAsync(HttpContext context, ApiRequest r, string verb, TimeSpan? watchCut)
    {
        var http = context.Request;
        var type = r.Type;
        if (r.Namespace is null && type.Namespaced && verb is not ("list" or "watch"))
        {
            throw new KubeApiException(404, "NotFound", "the server could not find the requested resource", new JsonObject());
        }

        if (r.Namespace is not null && type != ResourceTypes.Namespaces && verb == "create" && r.Subresource is null
            && store.TryGet(ResourceTypes.Namespaces, null, r.Namespace) is null)
        {
            throw KubeApiException.NotFound(ResourceTypes.Namespaces, r.Namespace);
        }

        switch (r.Subresource)
        {
            case "exec" or "attach":
                await podIo.ExecAsync(context, store.Get(type, r.Namespace, r.Name!), r.Subresource == "attach").ConfigureAwait(false);
                return;
            case "portforward":
                await podIo.PortForwardAsync(context, store.Get(type, r.Namespace, r.Name!)).ConfigureAwait(false);
                return;
            case "log" when type == ResourceTypes.Builds:
                await builds.LogsAsync(context, store.Get(type, r.Namespace, r.Name!)).ConfigureAwait(false);
                return;
            case "instantiatebinary" when context.Request.Method == "POST":
                await builds.InstantiateAsync(context, r.Namespace!, r.Name!).ConfigureAwait(false);
                return;
            case "log":
                await podIo.LogsAsync(context, store.Get(type, r.Namespace, r.Name!)).ConfigureAwait(false);
                return;
            case "scale":
                await ScaleAsync(context, r).ConfigureAwait(false);
                return;
            case "status":
                await StatusAsync(context, r).ConfigureAwait(false);
                return;
            case not null:
                throw new KubeApiException(404, "NotFound", "the server could not find the requested resource", new JsonObject());
        }

        switch (verb)
        {
            case "get":
                await WriteAsync(context, 200, store.Get(type, r.Namespace, r.Name!)).ConfigureAwait(false);
                break;
            case "list":
                await WriteAsync(context, 200, List(type, r.Namespace, http.Query["labelSelector"], http.Query["fieldSelector"])).ConfigureAwait(false);
                break;
            case "watch":
                await WatchAsync(context, type, r.Namespace, watchCut).ConfigureAwait(false);
                break;
            case "create":
                {
                    var body = await ReadObjectAsync(context).ConfigureAwait(false);
                    CheckBodyNamespace(body, r);
                    var created = store.Create(type, r.Namespace, body);
                    await WriteAsync(context, 201, created).ConfigureAwait(false);
                    break;
                }

            case "update":
                {
                    var body = await ReadObjectAsync(context).ConfigureAwait(false);
                    CheckBodyNamespace(body, r);
                    await WriteAsync(context, 200, store.Replace(type, r.Namespace, r.Name!, body)).ConfigureAwait(false);
                    break;
                }

            case "patch":
                {
                    var text = await ReadTextAsync(context).ConfigureAwait(false);
                    var contentType = http.ContentType ?? "";
                    var patched = store.Update(type, r.Namespace, r.Name!, current => Patches.Apply(current, contentType, text));
                    await WriteAsync(context, 200, patched).ConfigureAwait(false);
                    break;
                }

            case "delete":
                {
                    var options = await ReadOptionalObjectAsync(context).ConfigureAwait(false);
                    var uid = options?["preconditions"]?.Str("uid");
                    long? grace = options?["gracePeriodSeconds"] is JsonValue g && g.TryGetValue<long>(out var body) ? body
                        : long.TryParse(http.Query["gracePeriodSeconds"], out var query) ? query : null;
                    var propagation = options?.Str("propagationPolicy") ?? (string?)http.Query["propagationPolicy"];
                    var result = store.Delete(type, r.Namespace, r.Name!, uid, grace, propagation, options?["preconditions"]?.Str("resourceVersion"));
                    // Like the apiserver's registries (ReturnDeletedObject): these return the deleted object, the
                    // others a Success Status, unless the object is still there (graceful/finalizers/foreground).
                    var returnsObject = type == ResourceTypes.Pods || type == ResourceTypes.PersistentVolumeClaims
                        || type == ResourceTypes.Services || type == ResourceTypes.ServiceAccounts || type == ResourceTypes.Namespaces;
                    await WriteAsync(context, 200, returnsObject || store.TryGet(type, r.Namespace, r.Name!) is not null ? result : Success(type, result)).ConfigureAwait(false);
                    break;
                }

            case "deletecollection":
                {
                    var (items, _) = store.List(type, r.Namespace, Selectors.Parse(http.Query["labelSelector"], http.Query["fieldSelector"]));
                    foreach (var item in items)
                    {
                        try
                        {
                            store.Delete(type, item.Namespace(), item.Name());
                        }
                        catch (KubeApiException e) when (e.Code == 404)
                        {
                            // Gone meanwhile (garbage collected with its owner).
                        }
                    }

                    await WriteAsync(context, 200, ListBody(type, items, store.CurrentResourceVersion)).ConfigureAwait(false);
                    break;
                }

            default:
                throw KubeApiException.MethodNotAllowed();
        }
    }

    private JsonObject List(ResourceType type, string? ns, string? labelSelector, string? fieldSelector)
    {
        var (items, rv) = store.List(type, ns, Selectors.Parse(labelSelector, fieldSelector));
        return ListBody(type, items, rv);
    }

    private static JsonObject ListBody(ResourceType type, List<JsonObject> items, long rv)
    {
        var array = new JsonArray();
        foreach (var i in items)
        {
            array.Add(i);
        }

        return new JsonObject
        {
            ["kind"] = type.ListKind,
            ["apiVersion"] = type.ApiVersion,
            ["metadata"] = new JsonObject { ["resourceVersion"] = rv.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            ["items"] = array,
        };
    }

    private static JsonObject Success(ResourceType type, JsonObject deleted)
    {
        var details = new JsonObject { ["name"] = deleted.Name() };
        if (type.Group.Length > 0)
        {
            details["group"] = type.Group;
        }

        details["kind"] = type.Plural;
        details["uid"] = deleted.Uid();
        return new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = "Success",
            ["details"] = details,
        };
    }

    private static void CheckBodyNamespace(JsonObject body, ApiRequest r)
    {
        if (r.Type.Namespaced && body["metadata"]?.Str("namespace") is { Length: > 0 } bodyNs && bodyNs != r.Namespace)
        {
            throw KubeApiException.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
        }
    }

    internal static bool IsTrue(string? value) => value is "1" or "true" or "True";
}
