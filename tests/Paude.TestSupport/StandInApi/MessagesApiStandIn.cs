using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Paude.TestSupport.StandInApi;

/// <summary>
/// A scripted stand-in for the Anthropic Messages API, owned by a test, so a real Claude Code client can be driven
/// end to end without any outside service. Protocol (as the public API documents it):
/// <list type="bullet">
/// <item><c>POST /v1/messages</c> with <c>"stream": true</c> answers server-sent events: <c>message_start</c>,
/// per content block <c>content_block_start</c> / <c>content_block_delta</c> (<c>text_delta</c> or
/// <c>input_json_delta</c>) / <c>content_block_stop</c>, then <c>message_delta</c> (stop reason, usage) and
/// <c>message_stop</c>; without streaming, the same message as one JSON object.</item>
/// <item><c>POST /v1/messages/count_tokens</c> answers a fixed count; any other path answers <c>{}</c> (200), so
/// whatever else the client asks at start never fails it.</item>
/// </list>
/// Every request is logged (<see cref="Requests"/>). Listens on one address only (a Podman network's gateway, or
/// loopback), never on all interfaces.
/// </summary>
public sealed class MessagesApiStandIn : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Func<RecordedRequest, ScriptedReply> _script;
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();
    private int _ids;

    private MessagesApiStandIn(WebApplication app, Func<RecordedRequest, ScriptedReply> script, IPAddress address, int port)
    {
        _app = app;
        _script = script;
        Address = address;
        Port = port;
    }

    /// <summary>The address listened on.</summary>
    public IPAddress Address { get; }

    /// <summary>The port listened on.</summary>
    public int Port { get; }

    /// <summary>Every request received so far, in order.</summary>
    public IReadOnlyList<RecordedRequest> Requests => [.. _requests];

    /// <summary>Starts a stand-in on <paramref name="address"/> (a free port) that answers Messages calls with <paramref name="script"/>.</summary>
    public static async Task<MessagesApiStandIn> StartAsync(IPAddress address, Func<RecordedRequest, ScriptedReply> script, CancellationToken cancellationToken = default)
    {
        // Kestrel, not HttpListener: HttpListener answers 400 itself when the Host header (the name the client used,
        // through the proxy) is not the address it listens on. Any Host is accepted here; only one address is bound.
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(o => o.Listen(address, 0));
        var app = builder.Build();
        MessagesApiStandIn? standIn = null;
        app.Run(context => standIn!.HandleAsync(context));
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        standIn = new MessagesApiStandIn(app, script, address, new Uri(bound).Port);
        return standIn;
    }

    /// <summary>The request log, one line per request (for failure messages).</summary>
    public string Describe() => string.Join('\n', Requests.Select(r => r.ToString()));

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    private async Task HandleAsync(HttpContext context)
    {
        var ct = context.RequestAborted;
        string body;
        using (var reader = new StreamReader(context.Request.Body, Encoding.UTF8))
        {
            body = await reader.ReadToEndAsync(ct).ConfigureAwait(false);
        }

        var headers = context.Request.Headers;
        var request = new RecordedRequest(
            context.Request.Method,
            context.Request.Path + context.Request.QueryString,
            context.Request.Host.Value ?? string.Empty,
            headers.TryGetValue("x-api-key", out var key) ? key.ToString() : null,
            headers.TryGetValue("Authorization", out var auth) ? auth.ToString() : null,
            body);
        _requests.Enqueue(request);

        if (request.IsMessages)
        {
            var reply = _script(request);
            var json = request.Json;
            var model = json?["model"]?.GetValue<string>() ?? "stand-in";
            if (json?["stream"]?.GetValue<bool>() == true || request.Path.Split('?')[0].EndsWith(":streamRawPredict", StringComparison.Ordinal))
            {
                await WriteStreamAsync(context.Response, model, reply, ct).ConfigureAwait(false);
            }
            else
            {
                await WriteJsonAsync(context.Response, Message(model, reply), ct).ConfigureAwait(false);
            }
        }
        else if (request.Path.Contains("count_tokens", StringComparison.Ordinal))
        {
            await WriteJsonAsync(context.Response, new JsonObject { ["input_tokens"] = 42 }, ct).ConfigureAwait(false);
        }
        else
        {
            await WriteJsonAsync(context.Response, [], ct).ConfigureAwait(false);
        }
    }

    private string NextId(string prefix) => prefix + Interlocked.Increment(ref _ids).ToString("D6", CultureInfo.InvariantCulture);

    private JsonObject Message(string model, ScriptedReply reply)
    {
        var content = new JsonArray { new JsonObject { ["type"] = "text", ["text"] = reply.Text } };
        foreach (var use in reply.ToolUses)
        {
            content.Add(new JsonObject { ["type"] = "tool_use", ["id"] = NextId("toolu_"), ["name"] = use.Name, ["input"] = use.Input.DeepClone() });
        }

        return new JsonObject
        {
            ["id"] = NextId("msg_"),
            ["type"] = "message",
            ["role"] = "assistant",
            ["model"] = model,
            ["content"] = content,
            ["stop_reason"] = reply.ToolUses.Count > 0 ? "tool_use" : "end_turn",
            ["stop_sequence"] = null,
            ["usage"] = new JsonObject { ["input_tokens"] = 10, ["output_tokens"] = 10 },
        };
    }

    private async Task WriteStreamAsync(HttpResponse response, string model, ScriptedReply reply, CancellationToken ct)
    {
        response.StatusCode = 200;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        var events = new List<JsonObject>
        {
            new()
            {
                ["type"] = "message_start",
                ["message"] = new JsonObject
                {
                    ["id"] = NextId("msg_"), ["type"] = "message", ["role"] = "assistant", ["model"] = model,
                    ["content"] = new JsonArray(), ["stop_reason"] = null, ["stop_sequence"] = null,
                    ["usage"] = new JsonObject { ["input_tokens"] = 10, ["output_tokens"] = 1 },
                },
            },
            new() { ["type"] = "content_block_start", ["index"] = 0, ["content_block"] = new JsonObject { ["type"] = "text", ["text"] = string.Empty } },
            new() { ["type"] = "content_block_delta", ["index"] = 0, ["delta"] = new JsonObject { ["type"] = "text_delta", ["text"] = reply.Text } },
            new() { ["type"] = "content_block_stop", ["index"] = 0 },
        };
        var index = 1;
        foreach (var use in reply.ToolUses)
        {
            events.Add(new() { ["type"] = "content_block_start", ["index"] = index, ["content_block"] = new JsonObject { ["type"] = "tool_use", ["id"] = NextId("toolu_"), ["name"] = use.Name, ["input"] = new JsonObject() } });
            events.Add(new() { ["type"] = "content_block_delta", ["index"] = index, ["delta"] = new JsonObject { ["type"] = "input_json_delta", ["partial_json"] = use.Input.ToJsonString() } });
            events.Add(new() { ["type"] = "content_block_stop", ["index"] = index });
            index++;
        }

        events.Add(new()
        {
            ["type"] = "message_delta",
            ["delta"] = new JsonObject { ["stop_reason"] = reply.ToolUses.Count > 0 ? "tool_use" : "end_turn", ["stop_sequence"] = null },
            ["usage"] = new JsonObject { ["output_tokens"] = 20 },
        });
        events.Add(new() { ["type"] = "message_stop" });

        foreach (var e in events)
        {
            var bytes = Encoding.UTF8.GetBytes($"event: {e["type"]!.GetValue<string>()}\ndata: {e.ToJsonString()}\n\n");
            await response.Body.WriteAsync(bytes, ct).ConfigureAwait(false);
            await response.Body.FlushAsync(ct).ConfigureAwait(false);
        }
    }

    private static async Task WriteJsonAsync(HttpResponse response, JsonObject json, CancellationToken ct)
    {
        var bytes = Encoding.UTF8.GetBytes(json.ToJsonString());
        response.StatusCode = 200;
        response.ContentType = "application/json";
        response.ContentLength = bytes.Length;
        await response.Body.WriteAsync(bytes, ct).ConfigureAwait(false);
    }
}
