// A package user's program, built by ConsumerProjectTests from the packed packages only. Protocol: arguments are
// <local git repository> <run id>; it runs one session on Podman (create, push the repository, commit inside the
// session, sync the commit back onto paude/<session>, delete) and one on the OpenShift backend against the Kubernetes
// test server of Paude.Testing (create, exec, delete), prints one "<backend>: ..." line per step and exits 0 only if
// every step did what it should. Every container it makes carries the label paude.test=<run id>.
using Microsoft.Extensions.DependencyInjection;
using Paude.DependencyInjection;
using Paude.Execution;
using Paude.Sessions;
using Paude.Sync;
using Paude.Testing.Kubernetes;

var repo = args[0];
var runId = args[1];
var labels = new Dictionary<string, string> { ["paude.test"] = runId };

await using var server = await KubernetesTestServer.StartAsync(new KubernetesTestServerOptions
{
    Namespaces = ["consumer"],
    ResourceLabels = labels,
});

await using var provider = new ServiceCollection()
    .AddLogging()
    .AddPaude()
    .AddPodmanBackend(configure: o => o.ExtraLabels = new Dictionary<string, string>(labels))
    .AddOpenShiftBackend(configure: o =>
    {
        o.KubeconfigPath = server.KubeconfigPath;
        o.Namespace = "consumer";
    })
    .AddPaudeSync()
    .Services
    .BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
var backends = provider.GetRequiredService<ISessionBackendProvider>();
var sync = provider.GetRequiredService<ISessionSync>();
string[] idle = ["bash", "-c", "exec sleep infinity"];

// Podman: the whole loop a tool built on Paude runs.
var podman = backends.GetBackend("podman");
var name = SessionName.Parse($"{runId}-podman");
try
{
    var session = await podman.CreateAsync(new SessionSpec { Name = name, AgentCommand = idle });
    Console.WriteLine($"podman: created {session.Name} ({session.Status})");
    await sync.SyncAsync(name, repo, new SyncOptions { Direction = SyncDirection.ToSession, Backend = "podman" });
    var commit = await podman.ExecAsync(name,
    [
        "bash", "-c",
        "cd /pvc/workspace && echo from-session > session.txt && git add session.txt && " +
        "git -c user.name=Agent -c user.email=agent@example.com commit -q -m 'work from the session' && git rev-parse HEAD",
    ]);
    Require(commit.Succeeded, $"podman: commit in the session failed: {commit.StandardError}");
    Console.WriteLine($"podman: session committed {commit.StandardOutput.Trim()}");
    var back = await sync.SyncAsync(name, repo, new SyncOptions { Direction = SyncDirection.FromSession, Strategy = SyncStrategy.Branch, Backend = "podman" });
    Console.WriteLine($"podman: synced back ({back.Strategy}, {back.FilesChanged.Count} files)");
}
finally
{
    Console.WriteLine($"podman: deleted {await podman.DeleteAsync(name)}");
}

// OpenShift backend on the in-process Kubernetes server (pods are Podman containers).
var openshift = backends.GetBackend("openshift");
var kname = SessionName.Parse($"{runId}-kube");
try
{
    var session = await openshift.CreateAsync(new SessionSpec { Name = kname, AgentCommand = idle });
    Console.WriteLine($"openshift: created {session.Name} ({session.Status})");
    var hello = await openshift.ExecAsync(kname, ["bash", "-c", "echo hello from $(id -u)"]);
    Require(hello.Succeeded && hello.StandardOutput.StartsWith("hello from ", StringComparison.Ordinal), $"openshift: exec failed: {hello.StandardError}");
    Console.WriteLine($"openshift: exec said '{hello.StandardOutput.Trim()}'");
}
finally
{
    Console.WriteLine($"openshift: deleted {await openshift.DeleteAsync(kname)}");
}

return 0;

static void Require(bool condition, string message)
{
    if (!condition)
    {
        throw new InvalidOperationException(message);
    }
}
