using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Logging;
using Paude.Backends.Podman.Cli;
using Paude.Backends.Podman.Logging;
using Paude.Egress;
using Paude.Errors;
using Paude.Sessions;

namespace Paude.Backends.Podman.Backend;

internal sealed partial class PodmanBackend
{
    /// <summary>Podman's addition to the agent contract: the credential sources the entrypoint waits for.</summary>
    private const string CredentialsVariable = "PAUDE_CREDENTIALS";

    /// <summary>Where the proxy's unix socket is (agent and proxy): the agent's only way out on Podman.</summary>
    private const string ProxySocketVariable = "PAUDE_PROXY_SOCKET";

    public async Task<SessionInfo> CreateAsync(SessionSpec spec, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        List<string> errors = [.. SessionSpecValidation.Errors(spec, _credentials), .. PodmanResources.SpecErrors(spec)];
        if (errors.Count > 0)
        {
            throw new InvalidSessionSpecException(errors);
        }

        var name = spec.ResolveName();
        var names = new PodmanNames(name);
        var config = SessionRecord.FromSpec(spec, _time.GetUtcNow(), _options.AgentImage, _options.ProxyImage, _options.DefaultUser);
        Log.Creating(_logger, name.Value, Name);
        var started = Stopwatch.GetTimestamp();

        var rollback = new Rollback();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.ReadyTimeout);
        var ct = timeout.Token;
        try
        {
            // Everything that does not depend on something else runs at once: the image checks and the three volumes
            // (the config is written as soon as its volume exists); then each container once its own inputs exist. A
            // name conflict on any of them means the session exists. A missing image still leaves nothing behind: no
            // container runs without both images, and the volumes are rolled back.
            var workspaceLabels = Labels(name, null);
            SessionLabels.AddConfig(workspaceLabels, config);
            SessionLabels.AddEnvironment(workspaceLabels, spec.Environment);
            var images = Task.WhenAll(RequireImageAsync(config.AgentImage, ct), RequireImageAsync(config.ProxyImage, ct));
            var workspace = CreateResourceAsync(rollback, Rollback.Kind.Volume, names.Workspace, ["volume", "create", .. LabelArgs(workspaceLabels), names.Workspace], ct);
            var socket = CreateResourceAsync(rollback, Rollback.Kind.Volume, names.ProxySocket, SocketVolumeArgs(names), ct);
            var proxyConfig = CreateResourceAsync(rollback, Rollback.Kind.Volume, names.ProxyConfig, ["volume", "create", .. LabelArgs(Labels(name, SessionLabelKeys.RoleProxy)), names.ProxyConfig], ct);
            var configWritten = WriteConfigWhenCreatedAsync(proxyConfig, names, config.Egress, ct);
            var volumes = new[] { workspace, socket, proxyConfig };
            // Both containers start as soon as their own inputs exist: the agent (on the critical path of create→the
            // agent's first screen) needs neither the proxy's config nor its container; its bridge connects to the
            // proxy's socket per connection, and the create still waits for that bridge below. Each waits for every
            // volume (a conflict on any means the session exists) and both images (no container runs without both).
            // The socket volume's owner does not depend on which container mounts it first (SocketVolumeOptions).
            var created = Task.WhenAll(images, workspace, socket, proxyConfig);
            var agent = RunWhenReadyAsync(
                created,
                volumes,
                () => CreateResourceAsync(rollback, Rollback.Kind.Container, names.Agent, AgentRunArgs(names, config, spec.Environment), ct));
            var proxy = RunWhenReadyAsync(
                Task.WhenAll(created, configWritten),
                volumes,
                () => CreateResourceAsync(rollback, Rollback.Kind.Container, names.Proxy, ProxyRunArgs(names, config.ProxyImage), ct));

            // Credentials go to the agent as soon as it runs (its agent waits for them), squid's readiness is awaited
            // as soon as the proxy runs; the session is returned only once all are done. The bridge needs both. Both
            // container tasks are awaited too, so a failure rolls back only after no create is still under way.
            await Task.WhenAll(
                Task.WhenAll(agent, proxy),
                CreateSteps.WhenCreatedAsync([agent], () => DeliverCredentialsAsync(names, config.Credentials, ct)),
                CreateSteps.WhenCreatedAsync([proxy], () => WaitProxyListeningAsync(names, ct)),
                CreateSteps.WhenCreatedAsync([agent, proxy], () => WaitBridgeListeningAsync(names, ct))).ConfigureAwait(false);
            if (agent.Result == CreateOutcome.Conflict || proxy.Result == CreateOutcome.Conflict)
            {
                throw new SessionAlreadyExistsException(name.Value, Name);
            }
        }
        catch (Exception ex)
        {
            // An expected refusal is the caller's to report, in one line; only a real fault is worth a warning.
            if (ex is SessionAlreadyExistsException or ImageNotFoundException)
            {
                Log.CreateRefused(_logger, name.Value, ex);
            }
            else
            {
                Log.RollingBack(_logger, name.Value, ex);
            }

            await RollbackAsync(name, rollback).ConfigureAwait(false);
            if (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                throw new BackendOperationException($"Backend '{Name}': session '{name.Value}' was not ready within {_options.ReadyTimeout}; everything created was removed.", ex);
            }

            throw;
        }

        var elapsedMs = (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        Log.Created(_logger, name.Value, elapsedMs);

        // Both containers run and the proxy serves, so the state is known without another engine call.
        return new SessionInfo(name, Name, SessionStatus.Running)
        {
            Workspace = config.Workspace,
            CreatedAt = config.CreatedAt,
            AgentImage = config.AgentImage,
            Egress = config.Egress,
        };
    }

    /// <summary>
    /// Runs <paramref name="run"/> once <paramref name="prerequisites"/> completed, unless one of the session's volumes
    /// was there already (a conflict: the session exists, nothing is started). A faulted prerequisite faults this too.
    /// </summary>
    private static async Task<CreateOutcome> RunWhenReadyAsync(Task prerequisites, Task<CreateOutcome>[] volumes, Func<Task<CreateOutcome>> run)
    {
        await prerequisites.ConfigureAwait(false);
        foreach (var volume in volumes)
        {
            if (volume.IsCompletedSuccessfully && volume.Result == CreateOutcome.Conflict)
            {
                return CreateOutcome.Conflict;
            }
        }

        return await run().ConfigureAwait(false);
    }

    /// <summary>Writes the proxy config once its volume is created (not when it was there already: a conflict).</summary>
    private async Task WriteConfigWhenCreatedAsync(Task<CreateOutcome> volume, PodmanNames names, EgressPolicy policy, CancellationToken cancellationToken)
    {
        if (await volume.ConfigureAwait(false) == CreateOutcome.Created)
        {
            await WriteConfigVolumeAsync(names, policy, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task RequireImageAsync(string image, CancellationToken cancellationToken)
    {
        var result = await RunAsync(["image", "exists", image], cancellationToken).ConfigureAwait(false);
        if (result.ExitCode == 1)
        {
            throw new ImageNotFoundException(image, "it is not in local Podman storage (Paude never pulls); build it first, e.g. with scripts/setup.sh");
        }

        if (!result.Succeeded)
        {
            throw Failure($"checking image '{image}'", result);
        }
    }

    internal enum CreateOutcome
    {
        Created,
        Conflict,
    }

    /// <summary>
    /// Runs a create command and records the resource for rollback before it runs (a cancelled podman call may still
    /// have created it); a name conflict is reported, not recorded, so rollback never touches someone else's resource.
    /// </summary>
    private async Task<CreateOutcome> CreateResourceAsync(Rollback rollback, Rollback.Kind kind, string resource, IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        rollback.Add(kind, resource);
        var result = await RunAsync(args, cancellationToken).ConfigureAwait(false);
        if (result.Succeeded)
        {
            return CreateOutcome.Created;
        }

        if (IsConflict(result))
        {
            rollback.Remove(kind, resource);
            return CreateOutcome.Conflict;
        }

        if (result.StandardError.Contains("image not known", StringComparison.OrdinalIgnoreCase) || result.StandardError.Contains("no such image", StringComparison.OrdinalIgnoreCase))
        {
            throw new ImageNotFoundException(args[^1], PodmanCliTrim(result));
        }

        throw Failure($"creating {kind.ToString().ToLowerInvariant()} '{resource}'", result);
    }

    private static string PodmanCliTrim(PodmanResult result) => Cli.PodmanCli.Trim(result.StandardError);

    private static List<string> LabelArgs(Dictionary<string, string> labels)
    {
        var args = new List<string>();
        AddLabels(args, labels);
        return args;
    }

    /// <summary>
    /// Both containers: no process may gain privileges (setuid binaries, file capabilities) and none has a
    /// capability. Measured: the agent's work (git, tmux, the entrypoint, the credential restore, file sync via
    /// exec) and squid as an arbitrary UID need none; the backend's one root exec (chmod of the credentials tmpfs,
    /// which root owns) needs none either.
    /// </summary>
    private static readonly string[] Hardening = ["--security-opt", "no-new-privileges", "--cap-drop", "ALL"];

    /// <summary>Fixed, modest limits for squid: it caches nothing and forwards one session's requests.</summary>
    private static readonly string[] ProxyLimits = ["--memory", "268435456", "--cpus", "1", "--pids-limit", "256"];

    private List<string> ProxyRunArgs(PodmanNames names, string proxyImage, bool run = true)
    {
        // Only the egress networks: no network is shared with the agent (it has none; see AgentRunArgs).
        var args = new List<string>(run ? ["run", "-d"] : ["create"]) { "--name", names.Proxy, "--init", "--pull=never" };
        args.AddRange(Hardening);
        args.AddRange(ProxyLimits);
        foreach (var network in _options.ProxyNetworks)
        {
            args.Add("--network");
            args.Add(network);
        }

        AddLabels(args, Labels(names.Session, SessionLabelKeys.RoleProxy));
        // Read-only: squid (reachable by the agent) can never rewrite its own allow-list. The socket volume is
        // chowned (:U) to the proxy's user, so its socat can create the socket there whatever the volume was.
        args.AddRange([
            "-v", $"{names.ProxyConfig}:{SquidConfig.ConfigDirectory}:ro",
            "-v", $"{names.ProxySocket}:{PodmanNames.SocketDirectory}:U",
            "-e", $"{ProxySocketVariable}={PodmanNames.SocketPath}",
            proxyImage,
        ]);
        return args;
    }

    private List<string> AgentRunArgs(PodmanNames names, SessionRecord config, IReadOnlyDictionary<string, string> environment, bool run = true)
    {
        var labels = Labels(names.Session, SessionLabelKeys.RoleAgent);
        SessionLabels.AddConfig(labels, config);
        var args = new List<string>(run ? ["run", "-d"] : ["create"])
        {
            // No network at all, only loopback: no route to the host (a shared network's gateway reaches every host
            // listener on 0.0.0.0), no DNS forwarder (outside names would resolve: a side channel past the
            // allow-list), no other container. The one way out is the proxy's unix socket on the socket volume,
            // mounted read-only (connect() works; the agent cannot replace the socket), which the entrypoint bridges
            // to 127.0.0.1:3128 with socat. The design of Anthropic's sandbox-runtime for Claude Code on Linux.
            // --no-hosts: Podman would still write host.containers.internal (the host's address) into /etc/hosts; the
            // image's own file names only localhost.
            "--name", names.Agent, "--init", "--pull=never", "--network", "none", "--no-hosts",
            "-v", $"{names.Workspace}:{AgentContract.WorkspaceMount}",
            "-v", $"{names.ProxySocket}:{PodmanNames.SocketDirectory}:ro",
            "--mount", $"type=tmpfs,destination={AgentContract.CredentialsPath},tmpfs-mode=0770",
            "--memory", config.Limits.MemoryQuantity,
            "--cpus", config.Limits.Cpus.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--pids-limit", config.Limits.Pids.ToString(System.Globalization.CultureInfo.InvariantCulture),
            // The runtime writes the arbitrary UID's passwd entry before the container starts, so the image's
            // /etc/passwd need not be writable by the agent (it could otherwise add a uid-0 line).
            "--passwd-entry", $"paude:x:$UID:$GID:paude:{AgentContract.HomePath}:/bin/bash",
        };
        args.AddRange(Hardening);
        args.AddRange(PodmanResources.AgentArguments(config.Limits));
        if (config.User is not null)
        {
            args.AddRange(["--user", config.User]);
        }

        AddLabels(args, labels);
        // The spec's environment first: podman keeps the last of two -e of one name, so the contract's variables win.
        var env = new List<KeyValuePair<string, string>>(environment);
        env.AddRange(AgentContract.Environment(names.Session, config.AgentCommand, config.Headless, $"http://127.0.0.1:{SquidConfig.Port}"));
        env.Add(new(CredentialsVariable, string.Join(',', config.Credentials)));
        env.Add(new(ProxySocketVariable, PodmanNames.SocketPath));
        foreach (var (k, v) in env)
        {
            args.AddRange(["-e", $"{k}={v}"]);
        }

        args.Add(config.AgentImage);
        return args;
    }

    /// <summary>
    /// The socket volume is created with an owner (root, 755), which tells podman never to chown it when a container
    /// first mounts it (libpod's NoChown; without one, the first mount makes it the mounting container's user's). Its
    /// owner then changes only by the proxy's <c>:U</c> mount, which makes it squid's user's at every proxy start, so
    /// the agent's mount may come before, after or during the proxy's: the agent and proxy start together
    /// (SocketVolumeOwnerTests).
    /// </summary>
    internal static readonly string[] SocketVolumeOptions = ["--opt", "o=uid=0,gid=0"];

    private List<string> SocketVolumeArgs(PodmanNames names) =>
        ["volume", "create", .. SocketVolumeOptions, .. LabelArgs(Labels(names.Session, SessionLabelKeys.RoleProxy)), names.ProxySocket];

    /// <summary>Re-creates the socket volume of an existing session when it is gone (a repair before a start).</summary>
    private async Task EnsureSocketVolumeAsync(PodmanNames names, Rollback rollback, CancellationToken cancellationToken)
    {
        var exists = await RunAsync(["volume", "exists", names.ProxySocket], cancellationToken).ConfigureAwait(false);
        if (!exists.Succeeded)
        {
            await RepairResourceAsync(rollback, Rollback.Kind.Volume, names.ProxySocket, SocketVolumeArgs(names), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Writes squid.conf and the policy file into the proxy config volume (no container needed).</summary>
    private async Task WriteConfigVolumeAsync(PodmanNames names, EgressPolicy policy, CancellationToken cancellationToken)
    {
        var tar = EgressFiles.Archive(policy);
        await MustAsync(["volume", "import", names.ProxyConfig, "-"], "writing the proxy config", cancellationToken, (s, ct) => s.WriteAsync(tar, ct).AsTask()).ConfigureAwait(false);
    }

    private async Task RollbackAsync(SessionName name, Rollback rollback)
    {
        foreach (var (kind, resource) in rollback.Reverse())
        {
            IReadOnlyList<string> args = kind switch
            {
                Rollback.Kind.Container => ["rm", "-f", "-t", "0", "--ignore", resource],
                Rollback.Kind.Network => ["network", "rm", "-f", resource],
                _ => ["volume", "rm", "-f", resource],
            };
            try
            {
                var result = await RunAsync(args, CancellationToken.None).ConfigureAwait(false);
                if (!result.Succeeded && !IsNoSuch(result))
                {
                    Log.RollbackFailed(_logger, name.Value, resource, PodmanCliTrim(result));
                }
            }
            catch (PaudeException ex)
            {
                Log.RollbackFailed(_logger, name.Value, resource, ex.Message);
            }
        }
    }

    /// <summary>The resources a create made so far, removed in reverse order when it fails.</summary>
    private sealed class Rollback
    {
        private readonly List<(Kind, string)> _items = [];

        public enum Kind
        {
            Volume,
            Network,
            Container,
        }

        public bool Any
        {
            get
            {
                lock (_items)
                {
                    return _items.Count > 0;
                }
            }
        }

        public void Add(Kind kind, string name)
        {
            lock (_items)
            {
                _items.Add((kind, name));
            }
        }

        public void Remove(Kind kind, string name)
        {
            lock (_items)
            {
                _items.Remove((kind, name));
            }
        }

        public IEnumerable<(Kind Kind, string Name)> Reverse()
        {
            lock (_items)
            {
                // Containers first (they use the volumes and the network), then the rest, newest first.
                return [.. _items.AsEnumerable().Reverse().OrderBy(i => i.Item1 == Kind.Container ? 0 : 1)];
            }
        }
    }
}
