using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Paude.Testing.Kubernetes.Store;

namespace Paude.Testing.Kubernetes.Api;

// HTTP plumbing: discovery and health routes, injected faults, and reading/writing JSON bodies.
internal sealed partial class ApiHandler
{
    private static async Task<bool> TryDiscoveryAsync(HttpContext context, string[] segments)
    {
        if (context.Request.Method != "GET")
        {
            return false;
        }

        JsonObject? body = segments switch
        {
            ["version"] => Discovery.Version(),
            ["api"] => Discovery.ApiVersions(),
            ["apis"] => Discovery.ApiGroupList(),
            ["api", "v1"] => Discovery.ResourceList("", "v1"),
            ["apis", var g] when ResourceTypes.Groups.Contains(g) => Discovery.Group(g),
            ["apis", var g, "v1"] when ResourceTypes.Groups.Contains(g) => Discovery.ResourceList(g, "v1"),
            ["healthz"] or ["readyz"] or ["livez"] => null,
            _ => null,
        };
        if (segments is ["healthz"] or ["readyz"] or ["livez"])
        {
            context.Response.ContentType = "text/plain";
            await context.Response.WriteAsync("ok", context.RequestAborted).ConfigureAwait(false);
            return true;
        }

        if (body is null)
        {
            return false;
        }

        await WriteAsync(context, 200, body).ConfigureAwait(false);
        return true;
    }

    private static async Task WriteFaultAsync(HttpContext context, FaultRule rule)
    {
        var (reason, message) = rule.StatusCode switch
        {
            429 => ("TooManyRequests", "Too many requests, please try again later."),
            500 => ("InternalError", "Internal error occurred: injected fault"),
            503 => ("ServiceUnavailable", "The server is currently unable to handle the request"),
            504 => ("Timeout", "The server was unable to return a response in the time allotted, but may still be processing the request"),
            _ => ("InternalError", "injected fault"),
        };
        JsonObject? details = null;
        if (rule.StatusCode is 429 or 503)
        {
            var seconds = Math.Max(1, (int)Math.Ceiling(rule.RetryAfter.TotalSeconds));
            context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            details = new JsonObject { ["retryAfterSeconds"] = seconds };
        }

        await WriteAsync(context, rule.StatusCode, KubeApiException.Status(rule.StatusCode, reason, message, details)).ConfigureAwait(false);
    }

    internal static async Task WriteAsync(HttpContext context, int code, JsonObject body)
    {
        context.Response.StatusCode = code;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body.ToJsonString(), context.RequestAborted).ConfigureAwait(false);
    }

    private static async Task<string> ReadTextAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        return await reader.ReadToEndAsync(context.RequestAborted).ConfigureAwait(false);
    }

    private static async Task<JsonObject> ReadObjectAsync(HttpContext context) =>
        await ReadOptionalObjectAsync(context).ConfigureAwait(false) ?? throw KubeApiException.BadRequest("the body of the request was empty");

    private static async Task<JsonObject?> ReadOptionalObjectAsync(HttpContext context)
    {
        var text = await ReadTextAsync(context).ConfigureAwait(false);
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(text) as JsonObject ?? throw KubeApiException.BadRequest("the body must be a JSON object");
        }
        catch (System.Text.Json.JsonException e)
        {
            throw KubeApiException.BadRequest($"the object provided is unrecognized: {e.Message}");
        }
    }
}
