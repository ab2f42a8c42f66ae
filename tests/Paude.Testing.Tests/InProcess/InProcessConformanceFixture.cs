using Microsoft.Extensions.DependencyInjection;
using Paude.Conformance;
using Paude.DependencyInjection;
using Paude.Sessions;
using Paude.Testing.InProcess;

namespace Paude.Tests.InProcess;

/// <summary>
/// The in-process backend under the shipped conformance suite: what it really does (lifecycle, exec, file channel,
/// port forwarding through local relays) runs; what it deliberately lacks (session user, egress proxy, network
/// isolation, sandbox, limits and reporting them: <c>SessionInfo.Limits</c> is null) is declared missing and reported skipped. Container paths map into the session folder.
/// </summary>
public sealed class InProcessConformanceFixture : ConformanceFixture
{
    private readonly string _root = Directory.CreateTempSubdirectory("paude-inproc-ct-").FullName;
    private ServiceProvider? _services;
    private InProcessBackend? _backend;

    public override ISessionBackend Backend => _backend ?? throw new InvalidOperationException("Not initialised.");

    public override BackendCapabilities Capabilities => BackendCapabilities.PortForward;

    public override Task InitializeAsync()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddPaude().AddInProcessBackend("inprocess", o =>
        {
            o.RootDirectory = _root;
            o.RunAgentCommand = true; // the suite's agent stand-in leaves a marker the lifecycle test reads
        });
        _services = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
        _backend = (InProcessBackend)_services.GetRequiredService<ISessionBackendProvider>().GetBackend("inprocess");
        return Task.CompletedTask;
    }

    /// <summary><c>/pvc/workspace/…</c> is the session's <c>workspace/</c>, <c>/tmp/…</c> its <c>tmp/</c>.</summary>
    public override string SessionPath(SessionName name, string path)
    {
        var folder = _backend!.GetSessionFolder(name);
        foreach (var (container, local) in new[] { ("/pvc/workspace", "workspace"), ("/tmp", "tmp") })
        {
            if (path == container || path.StartsWith(container + "/", StringComparison.Ordinal))
            {
                return Path.Combine(folder, local) + path[container.Length..];
            }
        }

        throw new ArgumentException($"No in-process mapping for '{path}'.", nameof(path));
    }

    /// <summary>
    /// Python's threading HTTP server with a listen backlog that takes the suite's 100 parallel connections (the
    /// host has no busybox; the default backlog of 5 would make connections wait for SYN retries).
    /// </summary>
    public override IReadOnlyList<string> HttpServerCommand(int port, string directory) =>
    [
        "python3", "-c",
        "import functools, http.server as h, sys\n" +
        "h.ThreadingHTTPServer.request_queue_size = 128\n" +
        "h.ThreadingHTTPServer(('127.0.0.1', int(sys.argv[1])), functools.partial(h.SimpleHTTPRequestHandler, directory=sys.argv[2])).serve_forever()\n",
        port.ToString(System.Globalization.CultureInfo.InvariantCulture), directory,
    ];

    /// <summary>Only the network-isolation test asks, and it is skipped: there is no outside world here.</summary>
    public override Task<string> OutsideAddressAsync(CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("The in-process backend has no network of its own.");

    /// <summary>The one resource an in-process session has: its folder.</summary>
    public override Task<IReadOnlyList<string>> ListSessionResourcesAsync(SessionName name, CancellationToken cancellationToken = default)
    {
        var folder = _backend!.GetSessionFolder(name);
        return Task.FromResult<IReadOnlyList<string>>(Directory.Exists(folder) ? ["folder " + folder] : []);
    }

    protected override async Task CleanupAsync()
    {
        if (_services is not null)
        {
            await _services.DisposeAsync();
        }

        Directory.Delete(_root, recursive: true);
    }
}

/// <summary>The shipped backend conformance suite, run against the in-process backend.</summary>
public sealed class InProcessConformanceTests(InProcessConformanceFixture fixture)
    : BackendConformanceTests<InProcessConformanceFixture>(fixture);

/// <summary>The sandbox suite: every test is skipped with the capability it needs (the backend is no sandbox).</summary>
public sealed class InProcessSandboxConformanceTests(InProcessConformanceFixture fixture)
    : SandboxConformanceTests<InProcessConformanceFixture>(fixture);
