using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using Paude.Cli.Output;
using Paude.Errors;
using Paude.Sync;

namespace Paude.Cli.Commands;

/// <summary>sync: move commits and files between the local workspace and a session (Paude.Sync).</summary>
internal static class SyncCommands
{
    public static IEnumerable<Command> Create(CliApp app)
    {
        var name = SessionCommands.NameArgument();
        var workspace = new Option<string?>("--workspace", "-w") { Description = "The local workspace (default: the one the session was created for, else the current folder)." };
        var direction = new Option<string>("--direction") { Description = "from|pull: session -> local (default); to|push: local -> session; both: two-way (the default with --watch).", DefaultValueFactory = _ => "from" };
        direction.AcceptOnlyFromAmong("from", "to", "pull", "push", "both");
        var conflict = new Option<string>("--conflict") { Description = "With --watch --direction both: a file changed on both sides is kept-both (default, session copy saved next to it), keep-local, keep-session or stop.", DefaultValueFactory = _ => "keep-both" };
        conflict.AcceptOnlyFromAmong("keep-both", "keep-local", "keep-session", "stop");
        var strategy = new Option<string>("--strategy") { Description = "branch (default; never touches your branch), merge, overwrite or exclude (files only).", DefaultValueFactory = _ => "branch" };
        strategy.AcceptOnlyFromAmong("branch", "merge", "overwrite", "exclude");
        var dryRun = new Option<bool>("--dry-run") { Description = "Report what would change and change nothing." };
        var force = new Option<bool>("--force") { Description = "Go ahead although work would be replaced (it is kept under a backup ref)." };
        var excludes = new Option<string[]>("--exclude") { Description = "Extra excludes (name, glob or relative path). Repeatable.", AllowMultipleArgumentsPerToken = true };
        var prefix = new Option<string?>("--branch-prefix") { Description = "Prefix of the local branch that receives a session's commits (default paude/)." };
        var watch = new Option<bool>("--watch") { Description = "Keep syncing (debounced), one line per round, until Ctrl+C: both ways by default, or --direction push (strategy exclude unless given)." };
        var fetchCommits = new Option<bool>("--fetch-commits") { Description = "With --watch (two-way): also fetch the commits made in the session onto paude/<session> (never while that branch is checked out)." };
        var command = new Command("sync", "Sync work between the local workspace and a session without losing any (see --strategy).")
        {
            name, workspace, direction, strategy, dryRun, force, excludes, prefix, watch, conflict, fetchCommits,
        };
        command.SetAction((parse, ct) => app.RunAsync(parse, async (ctx, token) =>
        {
            var session = SessionCommands.ParseName(parse.GetValue(name));
            var options = new SyncOptions
            {
                Direction = parse.GetValue(direction) is "to" or "push" ? SyncDirection.ToSession : SyncDirection.FromSession,
                Strategy = Enum.Parse<SyncStrategy>(parse.GetValue(strategy)!, ignoreCase: true),
                DryRun = parse.GetValue(dryRun),
                Force = parse.GetValue(force),
                Excludes = parse.GetValue(excludes) ?? [],
                BranchPrefix = parse.GetValue(prefix) ?? "paude/",
                Backend = ctx.Backend.Name,
            };
            var twoWay = parse.GetValue(direction) == "both" || (parse.GetValue(watch) && parse.GetResult(direction) is null or { Implicit: true });
            // --watch --direction pull runs the two-way engine one way: the session's changes come, nothing goes back.
            var pullWatch = parse.GetValue(watch) && !twoWay && options.Direction == SyncDirection.FromSession;
            if (parse.GetValue(watch) && (twoWay || pullWatch))
            {
                var errors = SyncWatch.Conflicts(options.DryRun, options.Force, twoWayWithStrategy: parse.GetResult(strategy) is { Implicit: false }).ToList();
                var twoWayOptions = new TwoWaySyncOptions
                {
                    ConflictPolicy = SyncWatch.Policy(parse.GetValue(conflict)!),
                    Direction = pullWatch ? SyncDirection.FromSession : null,
                    BranchPrefix = options.BranchPrefix,
                    Excludes = options.Excludes,
                    Backend = options.Backend,
                    FetchCommits = parse.GetValue(fetchCommits),
                    HelperBinary = Environment.GetEnvironmentVariable(SyncWatch.HelperBinaryVariable) is { Length: > 0 } binary ? binary : null,
                };
                errors.AddRange(twoWayOptions.GetErrors());
                if (errors.Count > 0)
                {
                    throw new InvalidOptionsException("Invalid sync options", errors);
                }

                var root = Path.GetFullPath(parse.GetValue(workspace) ?? (await ctx.Backend.GetAsync(session, token).ConfigureAwait(false))?.Workspace ?? Environment.CurrentDirectory);
                return await SyncWatch.RunTwoWayAsync(ctx, session, root, twoWayOptions, token).ConfigureAwait(false);
            }

            var twoWayOnly = new List<string>();
            if (twoWay) twoWayOnly.Add("--direction both: only with --watch");
            if (parse.GetResult(conflict) is { Implicit: false }) twoWayOnly.Add("--conflict: only with --watch --direction both");
            if (parse.GetValue(fetchCommits)) twoWayOnly.Add("--fetch-commits: only with --watch --direction both");
            if (twoWayOnly.Count > 0)
            {
                throw new InvalidOptionsException("Invalid sync options", twoWayOnly);
            }

            if (parse.GetValue(watch))
            {
                // Continuous mode pushes files three-way by default (exclude): conflicts are reported, never overwritten.
                var watchStrategy = parse.GetResult(strategy) is { Implicit: false } ? parse.GetValue(strategy)! : "exclude";
                var continuous = new ContinuousSyncOptions { Strategy = Enum.Parse<SyncStrategy>(watchStrategy, ignoreCase: true), Excludes = options.Excludes, Backend = options.Backend };
                var errors = SyncWatch.Conflicts(options.DryRun, options.Force, twoWayWithStrategy: false).Concat(continuous.GetErrors()).ToList();
                if (errors.Count > 0)
                {
                    throw new InvalidOptionsException("Invalid sync options", errors);
                }

                var root = Path.GetFullPath(parse.GetValue(workspace) ?? (await ctx.Backend.GetAsync(session, token).ConfigureAwait(false))?.Workspace ?? Environment.CurrentDirectory);
                return await SyncWatch.RunPushAsync(ctx, session, root, continuous, token).ConfigureAwait(false);
            }

            options.Validate();
            var sync = ctx.Services.GetService<ISessionSync>()
                ?? throw new BackendUnavailableException(ctx.Backend.Name, "Paude.Sync", "sync is not registered in this build of paude");
            var local = parse.GetValue(workspace) ?? (await ctx.Backend.GetAsync(session, token).ConfigureAwait(false))?.Workspace ?? Environment.CurrentDirectory;
            local = Path.GetFullPath(local);
            var progress = ctx.Output.IsJson ? null : new StderrProgress(ctx.Console.Error);
            var what = options.Direction == SyncDirection.FromSession ? $"{session} -> {local}" : $"{local} -> {session}";
            var result = await ctx.Progress.RunAsync($"Syncing {what} ({options.Strategy.ToString().ToLowerInvariant()})", c => sync.SyncAsync(session, local, options, progress, c), token).ConfigureAwait(false);
            var view = SyncView.From(session, ctx.Backend.Name, local, result);
            ctx.Output.Write(view, CliJsonContext.Output.SyncView, w => WriteHuman(w, view));
            return ExitCodes.Ok;
        }, ct, localGit: true));
        yield return command;
    }

    private static void WriteHuman(TextWriter w, SyncView view)
    {
        w.WriteLine($"{(view.DryRun ? "Would sync" : "Synced")} {view.Direction} session '{view.Name}' with {view.Workspace} ({view.Strategy}).");
        w.WriteLine($"  commits: {view.CommitsTransferred}, files changed: {view.FilesChanged.Count}, deleted: {view.FilesDeleted.Count}, bytes: {view.BytesMoved}");
        foreach (var r in view.RefsWritten)
        {
            w.WriteLine($"  ref: {r}");
        }

        foreach (var r in view.BackupRefs)
        {
            w.WriteLine($"  backup: {r}");
        }

        foreach (var c in view.Conflicts)
        {
            w.WriteLine($"  conflict: {c}");
        }

        foreach (var warning in view.Warnings)
        {
            w.WriteLine($"  warning: {warning}");
        }

        if (view.Commit is { } commit)
        {
            w.WriteLine($"  commit: {commit}");
        }
    }

    private sealed class StderrProgress(TextWriter error) : IProgress<SyncProgress>
    {
        public void Report(SyncProgress value)
        {
            if (value.Stage != SyncStage.Done)
            {
                error.WriteLine(value.Total is { } total ? $"  {value.Stage}: {value.Message} ({value.Completed ?? 0}/{total})" : $"  {value.Stage}: {value.Message}");
            }
        }
    }
}
