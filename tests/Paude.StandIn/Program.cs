using System.Runtime.InteropServices;
using Paude.TestSupport.StandInApi;

// paude-standin: hosts the scripted Messages API stand-in (ClaudeCodeScript: write hello.txt, `git commit` it, stop)
// for scripts/demo.sh. Protocol:
//   paude-standin NETWORK PREFIX LABEL [WORKSPACE]
//   - NETWORK: an existing Podman network with DNS; the session's proxy must join it (PAUDE_PROXY_NETWORKS).
//   - PREFIX/LABEL: names (<PREFIX>-bridge, <PREFIX>-fwd) and label (key=value) of the two helper containers.
//   - WORKSPACE: the session's workspace path the scripted model writes in (default /pvc/workspace).
//   - PAUDE_STANDIN_API_KEY (environment, optional): the key the Messages calls must carry; only "yes"/"no" is printed.
// Prints "READY <host>" once the stand-in answers on the network as <host>, then runs until SIGTERM or SIGINT; then
// removes its containers and prints the request log (one line per request, keys never shown) and a summary line.
if (args.Length is < 3 or > 4)
{
    await Console.Error.WriteLineAsync("usage: paude-standin NETWORK PREFIX LABEL [WORKSPACE]");
    return 2;
}

var workspace = args.Length == 4 ? args[3] : "/pvc/workspace";
var stop = new TaskCompletionSource();
void Stop(PosixSignalContext context)
{
    context.Cancel = true;
    stop.TrySetResult();
}

using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);

await using var networked = await NetworkedStandIn.StartAsync(args[0], args[1], args[2], r => ClaudeCodeScript.Reply(r, workspace));
Console.WriteLine($"READY {NetworkedStandIn.ApiHost}");
await stop.Task;

var requests = networked.StandIn.Requests;
foreach (var request in requests)
{
    Console.WriteLine(request);
}

var messages = requests.Where(r => r.IsMessages).ToList();
var expected = Environment.GetEnvironmentVariable("PAUDE_STANDIN_API_KEY");
var keyed = expected is { Length: > 0 } && messages.Count > 0 && messages.All(r => r.ApiKey == expected);
var toolResults = messages.Count(r => r.Body.Contains("\"tool_result\"", StringComparison.Ordinal));
Console.WriteLine($"STAND-IN: {requests.Count} requests, {messages.Count} Messages calls ({toolResults} with tool results), all with the delivered key: {(keyed ? "yes" : "no")}");
return 0;
