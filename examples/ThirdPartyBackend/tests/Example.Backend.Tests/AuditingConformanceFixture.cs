using Example.Backend;
using Microsoft.Extensions.DependencyInjection;
using Paude.Conformance;
using Paude.DependencyInjection;
using Paude.Sessions;
using Paude.Testing.InProcess;

namespace Example.Backend.Tests;

/// <summary>
/// The example backend over Paude.Testing's in-process backend, for the conformance suite. The fixture says what
/// the backend does not do (no session user, proxy, isolation, sandbox or limits: those tests are reported skipped)
/// and where the suite's container paths are on this backend.
/// </summary>
public sealed class AuditingConformanceFixture : ConformanceFixture
{
    private readonly string _root = Directory.CreateTempSubdirectory("example-backend-").FullName;
    private ServiceProvider? _services;
    private InProcessBackend? _inner;
    private AuditingBackend? _backend;

    public override ISessionBackend Backend => _backend ?? throw new InvalidOperationException("Not initialised.");

    public AuditingBackend Audited => _backend ?? throw new InvalidOperationException("Not initialised.");

    public override BackendCapabilities Capabilities => BackendCapabilities.PortForward;

    public override Task InitializeAsync()
    {
        _services = new ServiceCollection()
            .AddPaude().AddInProcessBackend("inner", o => { o.RootDirectory = _root; o.RunAgentCommand = true; }).Services
            .BuildServiceProvider();
        _inner = (InProcessBackend)_services.GetRequiredService<ISessionBackendProvider>().GetBackend("inner");
        _backend = new AuditingBackend(_inner);
        return Task.CompletedTask;
    }

    public override string SessionPath(SessionName name, string path)
    {
        var folder = _inner!.GetSessionFolder(name);
        return path.StartsWith("/pvc/workspace", StringComparison.Ordinal) ? Path.Combine(folder, "workspace") + path["/pvc/workspace".Length..]
            : path.StartsWith("/tmp", StringComparison.Ordinal) ? Path.Combine(folder, "tmp") + path["/tmp".Length..]
            : throw new ArgumentException($"No mapping for '{path}'.", nameof(path));
    }

    public override IReadOnlyList<string> HttpServerCommand(int port, string directory) =>
    [
        "python3", "-c",
        "import functools, http.server as h, sys\n" +
        "h.ThreadingHTTPServer.request_queue_size = 128\n" +
        "h.ThreadingHTTPServer(('127.0.0.1', int(sys.argv[1])), functools.partial(h.SimpleHTTPRequestHandler, directory=sys.argv[2])).serve_forever()\n",
        port.ToString(System.Globalization.CultureInfo.InvariantCulture), directory,
    ];

    public override Task<string> OutsideAddressAsync(CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("No network of its own.");

    public override Task<IReadOnlyList<string>> ListSessionResourcesAsync(SessionName name, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<string>>(Directory.Exists(_inner!.GetSessionFolder(name)) ? ["folder " + name.Value] : []);

    protected override async Task CleanupAsync()
    {
        if (_services is not null)
        {
            await _services.DisposeAsync();
        }

        Directory.Delete(_root, recursive: true);
    }
}

/// <summary>The whole backend conformance suite against the example backend.</summary>
public sealed class AuditingConformanceTests(AuditingConformanceFixture fixture)
    : BackendConformanceTests<AuditingConformanceFixture>(fixture);

/// <summary>The sandbox suite: reported skipped, the example backend declares no sandbox.</summary>
public sealed class AuditingSandboxTests(AuditingConformanceFixture fixture)
    : SandboxConformanceTests<AuditingConformanceFixture>(fixture);
