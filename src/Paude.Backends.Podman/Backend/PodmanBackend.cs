using Microsoft.Extensions.Logging;
using Paude.Backends.Podman.Cli;
using Paude.Credentials;
using Paude.Egress;
using Paude.Errors;
using Paude.Sessions;

namespace Paude.Backends.Podman.Backend;

/// <summary>
/// <see cref="ISessionBackend"/> on local Podman: per session an agent container on an <c>--internal</c> network, an
/// egress proxy container bridging that network to the outside, a workspace volume and a proxy config volume. All
/// state lives in the engine (labels), so any process sees the same sessions. Engine access is
/// <see cref="PodmanEngine"/>, listing and state <see cref="PodmanSessionReader"/>, egress <see cref="PodmanEgress"/>; the partial files hold the rest.
/// </summary>
internal sealed partial class PodmanBackend : ISessionBackend
{
    private readonly IPodmanClient _podman;
    private readonly PodmanEngine _engine;
    private readonly PodmanSessionReader _reader;
    private readonly PodmanEgress _egress;
    private readonly PodmanBackendOptions _options;
    private readonly ICredentialPackager? _credentials;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public PodmanBackend(string name, IPodmanClient podman, PodmanBackendOptions options, ICredentialPackager? credentials, TimeProvider time, ILogger logger)
    {
        Name = name;
        _podman = podman;
        _engine = new PodmanEngine(name, podman, time, logger);
        _reader = new PodmanSessionReader(_engine, name, options);
        _egress = new PodmanEgress(podman, _engine, _reader, options, logger);
        _options = options;
        _credentials = credentials;
        _time = time;
        _logger = logger;
    }

    public string Name { get; }

    public Task<SessionInfo?> GetAsync(SessionName name, CancellationToken cancellationToken = default) => _reader.GetAsync(name, cancellationToken);

    public IAsyncEnumerable<SessionInfo> ListAsync(CancellationToken cancellationToken = default) => _reader.ListAsync(cancellationToken);

    public Task<EgressPolicy> GetEgressPolicyAsync(SessionName name, CancellationToken cancellationToken = default) => _egress.GetPolicyAsync(name, cancellationToken);

    public Task SetEgressPolicyAsync(SessionName name, EgressPolicy policy, CancellationToken cancellationToken = default) => _egress.SetPolicyAsync(name, policy, cancellationToken);

    public IAsyncEnumerable<BlockedRequest> GetBlockedRequestsAsync(SessionName name, CancellationToken cancellationToken = default) => _egress.GetBlockedRequestsAsync(name, cancellationToken);

    // Short names for the collaborators' calls the partial files make.
    private Task<(SessionInfo Info, List<ContainerEntry> Containers)> RequireAsync(SessionName name, CancellationToken cancellationToken) =>
        _reader.RequireAsync(name, cancellationToken);

    private Task RequireRunningAsync(SessionName name, CancellationToken cancellationToken) => _reader.RequireRunningAsync(name, cancellationToken);

    private Task<List<ContainerEntry>> ListContainersAsync(string filter, CancellationToken cancellationToken) => _engine.ListContainersAsync(filter, cancellationToken);

    private Task<List<(string Name, IReadOnlyDictionary<string, string> Labels)>> ListNamedAsync(string kind, string filter, CancellationToken cancellationToken) =>
        _engine.ListNamedAsync(kind, filter, cancellationToken);

    private Task<PodmanResult> RunAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken, Func<Stream, CancellationToken, Task>? stdin = null) =>
        _engine.RunAsync(arguments, cancellationToken, stdin);

    private Task<PodmanResult> MustAsync(IReadOnlyList<string> arguments, string what, CancellationToken cancellationToken, Func<Stream, CancellationToken, Task>? stdin = null) =>
        _engine.MustAsync(arguments, what, cancellationToken, stdin);

    private PaudeException Failure(string what, PodmanResult result) => _engine.Failure(what, result);

    private static bool IsConflict(PodmanResult result) => PodmanEngine.IsConflict(result);

    private static bool IsNoSuch(PodmanResult result) => PodmanEngine.IsNoSuch(result);

    private Dictionary<string, string> Labels(SessionName name, string? role) => SessionLabels.Base(name.Value, role, _options.ExtraLabels);

    private static void AddLabels(List<string> args, Dictionary<string, string> labels)
    {
        foreach (var (k, v) in labels)
        {
            args.Add("--label");
            args.Add($"{k}={v}");
        }
    }
}
