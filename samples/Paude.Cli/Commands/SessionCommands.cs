using System.CommandLine;
using System.Globalization;
using Paude.Cli.Output;
using Paude.Cli.Support;
using Paude.Egress;
using Paude.Errors;
using Paude.Sessions;

namespace Paude.Cli.Commands;

/// <summary>The lifecycle commands: create, start, stop, delete, list, status.</summary>
internal static class SessionCommands
{
    public static IEnumerable<Command> Create(CliApp app)
    {
        yield return CreateCommand(app);
        yield return Lifecycle(app, "start", "Start a stopped session (repairs a missing proxy). Idempotent.", "Starting", (b, n, ct) => b.StartAsync(n, ct));
        yield return Lifecycle(app, "stop", "Stop a session and its proxy, keeping the workspace volume. Idempotent.", "Stopping", (b, n, ct) => b.StopAsync(n, ct));
        yield return DeleteCommand(app);
        yield return ListCommand(app);
        yield return StatusCommand(app);
    }

    internal static Argument<string> NameArgument(string description = "The session name.") => new("name") { Description = description };

    /// <summary>Parses a session name given on the command line (a bad one exits with code 2 before anything runs).</summary>
    internal static SessionName ParseName(string? value) => SessionName.Parse(value);

    private static Command CreateCommand(CliApp app)
    {
        var name = new Argument<string?>("name") { Description = "The session name (default: derived from the workspace folder).", Arity = ArgumentArity.ZeroOrOne };
        var workspace = new Option<string?>("--workspace", "-w") { Description = "The host workspace folder the session is for (default: the current folder)." };
        var image = new Option<string?>("--image") { Description = "The agent image (default: the backend's)." };
        var proxyImage = new Option<string?>("--proxy-image") { Description = "The egress proxy image (default: the backend's)." };
        var domains = new Option<string[]>("--allowed-domains", "-d")
        {
            Description = "Allow-list entries: aliases (default, claude, github, python, nodejs, ...), hosts, .suffix wildcards, ~regex or all. Repeatable, comma-separated. Default: default.",
            AllowMultipleArgumentsPerToken = true,
        };
        var agent = new Option<string?>("--agent-command")
        {
            Description = "The agent command line, split with shell quoting rules into an argument vector (never run by a shell). Default: claude.",
        };
        var agentName = new Option<string?>("--agent")
        {
            Description = "A known agent run with its sandbox configuration: claude (default) or codex. Not with --agent-command.",
        };
        var agentArgs = new Option<string?>("--agent-args")
        {
            Description = "Arguments for --agent, split with shell quoting rules (e.g. \"-p 'fix the tests'\").",
        };
        var user = new Option<string?>("--user") { Description = "Run as UID[:GID], e.g. 1000680000:0 (OpenShift style)." };
        var noHeadless = new Option<bool>("--no-headless") { Description = "Do not start the agent now; it starts on the first 'connect'." };
        var credentials = new Option<string[]>("--credentials") { Description = "Credential sources to deliver into the session (e.g. claude, gcloud, git). Repeatable.", AllowMultipleArgumentsPerToken = true };
        var env = new Option<string[]>("--env", "-e") { Description = "Extra environment KEY=VALUE for the agent (not for secrets). Repeatable." };
        var command = new Command("create", "Create a session for a workspace and start it.")
        {
            name, workspace, image, proxyImage, domains, agent, agentName, agentArgs, user, noHeadless, credentials, env,
        };
        var resources = new ResourceOptions();
        foreach (var option in resources.All)
        {
            command.Options.Add(option);
        }

        command.SetAction((parse, ct) => app.RunAsync(parse, async (ctx, token) =>
        {
            var spec = new SessionSpec
            {
                Name = parse.GetValue(name) is { } n ? ParseName(n) : null,
                Workspace = Path.GetFullPath(parse.GetValue(workspace) ?? Environment.CurrentDirectory),
                AgentImage = parse.GetValue(image),
                ProxyImage = parse.GetValue(proxyImage),
                Egress = parse.GetValue(domains) is { Length: > 0 } d ? EgressPolicy.Parse(d) : EgressPolicy.Default,
                AgentCommand = parse.GetValue(agent) is { } a ? ArgvSplitter.Split(a) : ["paude-agent-claude"],
                Agent = AgentOption.Parse(parse.GetValue(agentName), parse.GetValue(agentArgs), parse.GetValue(agent) is not null),
                User = parse.GetValue(user),
                Headless = !parse.GetValue(noHeadless),
                Credentials = parse.GetValue(credentials) ?? [],
                Environment = EnvironmentPairs.Parse(parse.GetValue(env)),
            };

            // Every problem with the spec, its own and what this backend cannot do (a workspace size on Podman), is
            // reported together by the backend's create before it touches anything.
            spec = resources.Apply(parse, spec);
            spec = spec with { Name = spec.ResolveName() };
            var info = await ctx.Progress.RunAsync($"Creating session '{spec.Name}'", c => ctx.Backend.CreateAsync(spec, c), token).ConfigureAwait(false);
            WriteSession(ctx, info);
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    private static Command Lifecycle(CliApp app, string verb, string description, string activity, Func<ISessionBackend, SessionName, CancellationToken, Task<SessionInfo>> operation)
    {
        var name = NameArgument();
        var command = new Command(verb, description) { name };
        command.SetAction((parse, ct) => app.RunAsync(parse, async (ctx, token) =>
        {
            var session = ParseName(parse.GetValue(name));
            var info = await ctx.Progress.RunAsync($"{activity} session '{session}'", c => operation(ctx.Backend, session, c), token).ConfigureAwait(false);
            WriteSession(ctx, info);
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    private static Command DeleteCommand(CliApp app)
    {
        var name = NameArgument();
        var force = new Option<bool>("--force") { Description = "Delete even when the session holds work never synced back (commits, files)." };
        var workspace = new Option<string?>("--workspace", "-w") { Description = "The local workspace the session's work is compared with (default: the one the session was created for, else the current folder)." };
        var command = new Command("delete", "Delete a session and everything it owns (workspace volume included). Refuses, naming them, while the session holds commits or files never synced back, unless --force. Deleting a missing session is not an error.") { name, force, workspace };
        command.SetAction((parse, ct) => app.RunAsync(parse, async (ctx, token) =>
        {
            var session = ParseName(parse.GetValue(name));
            if (!parse.GetValue(force))
            {
                await RefuseUnsyncedWorkAsync(ctx, session, parse.GetValue(workspace), token).ConfigureAwait(false);
            }

            var deleted = await ctx.Progress.RunAsync($"Deleting session '{session}'", c => ctx.Backend.DeleteAsync(session, c), token).ConfigureAwait(false);
            ctx.Output.Write(new DeleteView(session, ctx.Backend.Name, deleted), CliJsonContext.Output.DeleteView, w =>
                w.WriteLine(deleted ? $"Deleted session '{session}'." : $"Session '{session}' did not exist; nothing to delete."));
            return ExitCodes.Ok;
        }, ct, localGit: !parse.GetValue(force)));
        return command;
    }

    /// <summary>Deleting never drops unsynced work silently: a session that cannot be checked (stopped) needs --force too.</summary>
    private static async Task RefuseUnsyncedWorkAsync(CliContext ctx, SessionName session, string? workspace, CancellationToken token)
    {
        var info = await ctx.Backend.GetAsync(session, token).ConfigureAwait(false);
        if (info is null || ctx.Services.GetService(typeof(Paude.Sync.ISessionSync)) is not Paude.Sync.ISessionSync sync)
        {
            return;
        }

        if (info.Status != SessionStatus.Running)
        {
            throw new SessionNotRunningException(session.Value, info.Status.ToString().ToLowerInvariant() + "; its unsynced work cannot be checked: start it and sync it back, or delete with --force");
        }

        var local = Path.GetFullPath(workspace ?? info.Workspace ?? Environment.CurrentDirectory);
        var work = await ctx.Progress.RunAsync($"Checking session '{session}' for unsynced work", c => sync.FindUnsyncedWorkAsync(session, local, new Paude.Sync.SyncOptions { Backend = ctx.Backend.Name }, c), token).ConfigureAwait(false);
        if (!work.IsEmpty)
        {
            throw new Paude.Sync.UnsyncedWorkException(session.Value, work);
        }
    }

    private static Command ListCommand(CliApp app)
    {
        var command = new Command("list", "List the sessions of the backend.");
        command.Aliases.Add("ls");
        command.SetAction((parse, ct) => app.RunAsync(parse, async (ctx, token) =>
        {
            var sessions = new List<SessionView>();
            await foreach (var info in ctx.Backend.ListAsync(token).ConfigureAwait(false))
            {
                sessions.Add(SessionView.From(info));
            }

            sessions.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
            ctx.Output.Write(new SessionListView(sessions), CliJsonContext.Output.SessionListView, w => WriteTable(w, sessions));
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    private static Command StatusCommand(CliApp app)
    {
        var name = NameArgument();
        var command = new Command("status", "Show one session (exit code 3 when it does not exist).") { name };
        command.SetAction((parse, ct) => app.RunAsync(parse, async (ctx, token) =>
        {
            var session = ParseName(parse.GetValue(name));
            var info = await ctx.Backend.GetAsync(session, token).ConfigureAwait(false)
                ?? throw new SessionNotFoundException(session, ctx.Backend.Name);
            WriteSession(ctx, info);
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    internal static void WriteSession(CliContext ctx, SessionInfo info)
    {
        var view = SessionView.From(info);
        ctx.Output.Write(view, CliJsonContext.Output.SessionView, w =>
        {
            w.WriteLine($"Name:            {view.Name}");
            w.WriteLine($"Backend:         {view.Backend}");
            w.WriteLine($"Status:          {view.Status}{(view.StatusReason is { } r ? $" ({r})" : string.Empty)}");
            w.WriteLine($"Workspace:       {view.Workspace ?? "-"}");
            w.WriteLine($"Created:         {FormatTime(view.CreatedAt)}");
            w.WriteLine($"Agent image:     {view.AgentImage ?? "-"}");
            w.WriteLine($"Allowed domains: {(view.AllowedDomains is { } d ? string.Join(", ", d) : "-")}");
            w.WriteLine($"Limits:          {FormatLimits(view.Limits)}");
        });
    }

    /// <summary>E.g. <c>1.5 CPUs, 768Mi memory, 2048 processes; requests: 0.25 CPUs, 256Mi memory; GPUs: 1</c>.</summary>
    internal static string FormatLimits(LimitsView? limits)
    {
        if (limits is null)
        {
            return "-";
        }

        static string Cpus(double cpus) => cpus.ToString("0.###", CultureInfo.InvariantCulture) + " CPUs";
        var text = $"{Cpus(limits.Cpus)}, {FormatBytes(limits.MemoryBytes)} memory, {limits.Pids.ToString(CultureInfo.InvariantCulture)} processes";
        var requests = new[] { limits.CpuRequest is { } c ? Cpus(c) : null, limits.MemoryRequestBytes is { } m ? FormatBytes(m) + " memory" : null }.OfType<string>().ToList();
        text += "; requests: " + (requests.Count == 0 ? "backend default" : string.Join(", ", requests));
        return limits.Gpus switch
        {
            0 => text,
            SessionLimits.AllGpus => text + "; GPUs: all",
            var n => text + "; GPUs: " + n.ToString(CultureInfo.InvariantCulture),
        };
    }

    /// <summary>Bytes with the largest binary suffix that divides them (768Mi, 4Gi), else plain bytes.</summary>
    private static string FormatBytes(long bytes)
    {
        foreach (var (suffix, shift) in new[] { ("Ti", 40), ("Gi", 30), ("Mi", 20), ("Ki", 10) })
        {
            if (bytes != 0 && bytes % (1L << shift) == 0)
            {
                return (bytes >> shift).ToString(CultureInfo.InvariantCulture) + suffix;
            }
        }

        return bytes.ToString(CultureInfo.InvariantCulture);
    }

    private static void WriteTable(TextWriter w, List<SessionView> sessions)
    {
        if (sessions.Count == 0)
        {
            w.WriteLine("No sessions.");
            return;
        }

        var rows = sessions.Select(s => new[] { s.Name, s.Status, s.Backend, FormatTime(s.CreatedAt), s.Workspace ?? "-" }).ToList();
        string[] header = ["NAME", "STATUS", "BACKEND", "CREATED", "WORKSPACE"];
        var widths = header.Select((h, i) => Math.Max(h.Length, rows.Max(r => r[i].Length))).ToArray();
        foreach (var row in rows.Prepend(header))
        {
            w.WriteLine(string.Join("  ", row.Select((cell, i) => i == row.Length - 1 ? cell : cell.PadRight(widths[i]))));
        }
    }

    private static string FormatTime(DateTimeOffset? time) =>
        time?.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture) ?? "-";
}
