using System.Globalization;
using Paude.Egress;
using Paude.Sessions;

namespace Paude.Backends.Podman.Backend;

/// <summary>
/// The podman arguments that make a session's resources: the agent and proxy containers (isolation, hardening, limits,
/// mounts, the agent contract's environment) and the workspace, socket and proxy config volumes, all labelled with
/// the session and this backend's extra labels. Pure: no engine call.
/// </summary>
internal sealed class PodmanRunArgs(PodmanBackendOptions options)
{
    /// <summary>Podman's addition to the agent contract: the credential sources the entrypoint waits for.</summary>
    private const string CredentialsVariable = "PAUDE_CREDENTIALS";

    /// <summary>Where the proxy's unix socket is (agent and proxy): the agent's only way out on Podman.</summary>
    private const string ProxySocketVariable = "PAUDE_PROXY_SOCKET";

    /// <summary>
    /// Both containers: no process may gain privileges (setuid binaries, file capabilities) and none has a
    /// capability. Measured: the agent's work (git, tmux, the entrypoint, the credential restore, file sync via
    /// exec) and squid as an arbitrary UID need none; the backend's one root exec (chmod of the credentials tmpfs,
    /// which root owns) needs none either.
    /// </summary>
    private static readonly string[] Hardening = ["--security-opt", "no-new-privileges", "--cap-drop", "ALL"];

    /// <summary>Fixed, modest limits for squid: it caches nothing and forwards one session's requests.</summary>
    private static readonly string[] ProxyLimits = ["--memory", "268435456", "--cpus", "1", "--pids-limit", "256"];

    /// <summary>
    /// The socket volume is created with an owner (root, 755), which tells podman never to chown it when a container
    /// first mounts it (libpod's NoChown; without one, the first mount makes it the mounting container's user's). Its
    /// owner then changes only by the proxy's <c>:U</c> mount, which makes it squid's user's at every proxy start, so
    /// the agent's mount may come before, after or during the proxy's: the agent and proxy start together
    /// (SocketVolumeOwnerTests).
    /// </summary>
    internal static readonly string[] SocketVolumeOptions = ["--opt", "o=uid=0,gid=0"];

    /// <summary>The labels every resource of the session carries (<paramref name="role"/> null: the workspace volume).</summary>
    public Dictionary<string, string> Labels(SessionName name, string? role) => SessionLabels.Base(name.Value, role, options.ExtraLabels);

    /// <summary><c>--label k=v</c> for each label.</summary>
    public static List<string> LabelArgs(IReadOnlyDictionary<string, string> labels)
    {
        var args = new List<string>();
        foreach (var (key, value) in labels)
        {
            args.AddRange(["--label", $"{key}={value}"]);
        }

        return args;
    }

    /// <summary>The workspace volume; its labels carry the whole session record and extra environment (the repair reads them).</summary>
    public List<string> WorkspaceVolumeArgs(PodmanNames names, SessionRecord config, IReadOnlyDictionary<string, string> environment)
    {
        var labels = Labels(names.Session, null);
        SessionLabels.AddConfig(labels, config);
        SessionLabels.AddEnvironment(labels, environment);
        return ["volume", "create", .. LabelArgs(labels), names.Workspace];
    }

    public List<string> SocketVolumeArgs(PodmanNames names) =>
        ["volume", "create", .. SocketVolumeOptions, .. LabelArgs(Labels(names.Session, SessionLabelKeys.RoleProxy)), names.ProxySocket];

    public List<string> ProxyConfigVolumeArgs(PodmanNames names) =>
        ["volume", "create", .. LabelArgs(Labels(names.Session, SessionLabelKeys.RoleProxy)), names.ProxyConfig];

    /// <summary>The proxy container: <c>run -d</c>, or <c>create</c> when a repair re-creates it for a start to run.</summary>
    public List<string> ProxyRunArgs(PodmanNames names, string proxyImage, bool run = true)
    {
        // Only the egress networks: no network is shared with the agent (it has none; see AgentRunArgs).
        var args = new List<string>(run ? ["run", "-d"] : ["create"]) { "--name", names.Proxy, "--init", "--pull=never" };
        args.AddRange(Hardening);
        args.AddRange(ProxyLimits);
        foreach (var network in options.ProxyNetworks)
        {
            args.Add("--network");
            args.Add(network);
        }

        args.AddRange(LabelArgs(Labels(names.Session, SessionLabelKeys.RoleProxy)));
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

    /// <summary>The agent container: <c>run -d</c>, or <c>create</c> when a repair re-creates it for a start to run.</summary>
    public List<string> AgentRunArgs(PodmanNames names, SessionRecord config, IReadOnlyDictionary<string, string> environment, bool run = true)
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
            "--cpus", config.Limits.Cpus.ToString(CultureInfo.InvariantCulture),
            "--pids-limit", config.Limits.Pids.ToString(CultureInfo.InvariantCulture),
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

        args.AddRange(LabelArgs(labels));
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
}
