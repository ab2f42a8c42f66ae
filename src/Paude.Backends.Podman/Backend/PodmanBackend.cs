using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Paude.Backends.Podman.Cli;
using Paude.Credentials;
using Paude.Errors;
using Paude.Sessions;

namespace Paude.Backends.Podman.Backend;

/// <summary>
/// <see cref="ISessionBackend"/> on local Podman: per session an agent container on an <c>--internal</c> network, an
/// egress proxy container bridging that network to the outside, a workspace volume and a proxy config volume. All
/// state lives in the engine (labels), so any process sees the same sessions.
/// </summary>
internal sealed partial class PodmanBackend : ISessionBackend
{
    private readonly IPodmanClient _podman;
    private readonly PodmanBackendOptions _options;
    private readonly ICredentialPackager? _credentials;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public PodmanBackend(string name, IPodmanClient podman, PodmanBackendOptions options, ICredentialPackager? credentials, TimeProvider time, ILogger logger)
    {
        Name = name;
        _podman = podman;
        _options = options;
        _credentials = credentials;
        _time = time;
        _logger = logger;
    }

    public string Name { get; }

    public async Task<SessionInfo?> GetAsync(SessionName name, CancellationToken cancellationToken = default)
    {
        var names = new PodmanNames(name);
        var containers = await ListContainersAsync(names.SessionLabelFilter, cancellationToken).ConfigureAwait(false);
        if (containers.Any(c => c.Name == names.Agent))
        {
            return Build(name, containers);
        }

        // No agent container: the volumes and network may remain (removed behind our back); that is a broken
        // session, not "no session", so it is reported and can be started (re-created) or deleted.
        return await ReadWithoutAgentAsync(names, containers, cancellationToken).ConfigureAwait(false);
    }

    public async IAsyncEnumerable<SessionInfo> ListAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        // Three engine calls in parallel for the whole list: the labels carry everything, and sessions whose containers
        // are gone still show up through their volumes or network.
        var filter = $"label={SessionLabelKeys.App}={SessionLabelKeys.AppValue}";
        var containersTask = ListContainersAsync(filter, cancellationToken);
        var volumesTask = ListNamedAsync("volume", filter, cancellationToken);
        var networksTask = ListNamedAsync("network", filter, cancellationToken);
        await Task.WhenAll(containersTask, volumesTask, networksTask).ConfigureAwait(false);
        var containers = await containersTask.ConfigureAwait(false);
        var volumes = await volumesTask.ConfigureAwait(false);
        var networks = await networksTask.ConfigureAwait(false);
        var sessions = containers.Select(c => c.Session)
            .Concat(volumes.Concat(networks).Select(v => v.Labels.TryGetValue(SessionLabelKeys.SessionName, out var s) ? s : null))
            .OfType<string>()
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal);
        foreach (var session in sessions)
        {
            if (!SessionName.TryParse(session, out var sessionName))
            {
                continue;
            }

            var names = new PodmanNames(sessionName.Value);
            var own = containers.Where(c => c.Session == session).ToList();
            yield return own.Any(c => c.Name == names.Agent)
                ? Build(sessionName.Value, own)
                : FromLeftovers(names, own, volumes.FirstOrDefault(v => v.Name == names.Workspace).Labels);
        }
    }

    private SessionInfo Build(SessionName name, IReadOnlyList<ContainerEntry> containers)
    {
        var names = new PodmanNames(name);
        var agent = containers.FirstOrDefault(c => c.Name == names.Agent);
        var proxy = containers.FirstOrDefault(c => c.Name == names.Proxy);
        return ToInfo(name, agent, proxy, agent?.Labels);
    }

    private SessionInfo ToInfo(SessionName name, ContainerEntry? agent, ContainerEntry? proxy, IReadOnlyDictionary<string, string>? labels)
    {
        var (status, reason) = PodmanState.Derive(agent, proxy, canRecreate: labels is not null && SessionLabels.HasConfig(labels));
        var config = labels is null ? null : SessionLabels.ReadConfig(labels, _options.AgentImage, _options.ProxyImage);
        return new SessionInfo(name, Name, status)
        {
            StatusReason = reason,
            Workspace = config?.Workspace,
            CreatedAt = config?.CreatedAt,
            AgentImage = config?.AgentImage,
            Egress = config?.Egress,
        };
    }

    /// <summary>Reads the session and requires that it exists (a session whose containers are gone still does).</summary>
    private async Task<(SessionInfo Info, List<ContainerEntry> Containers)> RequireAsync(SessionName name, CancellationToken cancellationToken)
    {
        var names = new PodmanNames(name);
        var containers = await ListContainersAsync(names.SessionLabelFilter, cancellationToken).ConfigureAwait(false);
        if (containers.Any(c => c.Name == names.Agent))
        {
            return (Build(name, containers), containers);
        }

        var info = await ReadWithoutAgentAsync(names, containers, cancellationToken).ConfigureAwait(false);
        return (info ?? throw new SessionNotFoundException(name.Value, Name), containers);
    }

    /// <summary>Requires a running agent container (exec, file channel, attach).</summary>
    private async Task RequireRunningAsync(SessionName name, CancellationToken cancellationToken)
    {
        var (info, containers) = await RequireAsync(name, cancellationToken).ConfigureAwait(false);
        var agent = containers.FirstOrDefault(c => c.Name == new PodmanNames(name).Agent);
        if (agent is not { IsRunning: true })
        {
            throw new SessionNotRunningException(name.Value, info.Status.ToString());
        }
    }

    private Task<PodmanResult> RunAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken, Func<Stream, CancellationToken, Task>? stdin = null) =>
        _podman.RunAsync(arguments, stdin, cancellationToken);

    /// <summary>Runs a podman command that must succeed; failure becomes a typed error with podman's own message.</summary>
    private async Task<PodmanResult> MustAsync(IReadOnlyList<string> arguments, string what, CancellationToken cancellationToken, Func<Stream, CancellationToken, Task>? stdin = null)
    {
        var result = await RunAsync(arguments, cancellationToken, stdin).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            throw Failure(what, result);
        }

        return result;
    }

    private BackendOperationException Failure(string what, PodmanResult result)
    {
        var error = PodmanCli.Trim(result.StandardError);
        return new BackendOperationException($"Backend '{Name}': {what} failed (podman exit code {result.ExitCode}): {error}");
    }

    private static bool IsConflict(PodmanResult result) =>
        result.StandardError.Contains("already exists", StringComparison.OrdinalIgnoreCase)
        || result.StandardError.Contains("already in use", StringComparison.OrdinalIgnoreCase);

    private static bool IsNoSuch(PodmanResult result) =>
        result.StandardError.Contains("no such", StringComparison.OrdinalIgnoreCase)
        || result.StandardError.Contains("not found", StringComparison.OrdinalIgnoreCase);

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
