using Microsoft.Extensions.DependencyInjection;
using Paude.Cli.Output;
using Paude.Errors;
using Paude.Sessions;
using Paude.Sync;

namespace Paude.Cli.Commands;

/// <summary>
/// <c>paude sync NAME --watch</c>: continuous sync over Paude.Sync's <see cref="IContinuousSync"/>, one line per round on
/// stdout (<see cref="SyncWatchLines"/>; one compact JSON object per line with <c>-o json</c>) until Ctrl+C or SIGTERM,
/// which stop it cleanly with exit code 0. Both ways by default and with <c>--direction both</c>, the session's changes
/// only with <c>--direction pull</c> (both on the two-way engine, <see cref="ITwoWaySync"/>: a conflict under
/// <c>--conflict stop</c> ends it with exit code 1 after its line); <c>--direction push</c> runs the git-aware
/// incremental push on every change (<see cref="IContinuousSync.WatchToSessionAsync"/>, a strategy of its own).
/// </summary>
internal static class SyncWatch
{
    /// <summary>The host's copy of the session helper to inject when the session's image lacks it (helper/build.sh output).</summary>
    public const string HelperBinaryVariable = "PAUDE_SESSION_HELPER";

    /// <summary>The errors of combining <c>--watch</c> with options it does not support (all of them together).</summary>
    public static IEnumerable<string> Conflicts(bool dryRun, bool force, bool twoWayWithStrategy)
    {
        if (dryRun) yield return "--watch: cannot be combined with --dry-run";
        if (force) yield return "--watch: cannot be combined with --force (a round never replaces the session's own changes)";
        if (twoWayWithStrategy) yield return "--strategy: two-way sync (--direction both, the default with --watch) syncs files only; use --direction push for a strategy";
    }

    public static ConflictPolicy Policy(string name) => name switch
    {
        "keep-local" => ConflictPolicy.KeepLocal,
        "keep-session" => ConflictPolicy.KeepSession,
        "stop" => ConflictPolicy.Stop,
        _ => ConflictPolicy.KeepBoth,
    };

    /// <summary>Two-way (or, with a direction, one-way pull) watch on the two-way engine.</summary>
    public static async Task<int> RunTwoWayAsync(CliContext ctx, SessionName session, string local, TwoWaySyncOptions options, CancellationToken cancellationToken)
    {
        var (continuous, time) = await PrepareAsync(ctx, session, cancellationToken).ConfigureAwait(false);
        await using var sync = await continuous.StartTwoWayAsync(session, local, options, cancellationToken).ConfigureAwait(false);
        var arrow = options.Direction switch { SyncDirection.FromSession => "<-", SyncDirection.ToSession => "->", _ => "<->" };
        var mode = options.Direction is null ? "two-way" : "one-way";
        await ctx.Console.Error.WriteLineAsync($"Watching {local} {arrow} {session} ({mode}, conflicts: {Name(options.ConflictPolicy)}); Ctrl+C stops.").ConfigureAwait(false);
        var count = 0;
        var stopped = false;
        var fetch = (0, (string?)null);
        try
        {
            await foreach (var round in sync.ReadRoundsAsync(cancellationToken).ConfigureAwait(false))
            {
                count++;
                stopped |= round.Stopped;
                await WriteLineAsync(ctx, ctx.Output.IsJson ? SyncWatchLines.Json(round) : SyncWatchLines.Human(round, time)).ConfigureAwait(false);
                fetch = await ReportFetchAsync(ctx, sync.Status, fetch).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Ctrl+C / SIGTERM: a clean stop.
        }

        await ctx.Console.Error.WriteLineAsync($"Stopped after {count} round(s){(stopped ? " on a conflict (--conflict stop)" : "")}.").ConfigureAwait(false);
        return stopped ? 1 : ExitCodes.Ok;
    }

    /// <summary>Push watch: an incremental push of the given strategy after every (debounced) local change.</summary>
    public static async Task<int> RunPushAsync(CliContext ctx, SessionName session, string local, ContinuousSyncOptions options, CancellationToken cancellationToken)
    {
        var (continuous, time) = await PrepareAsync(ctx, session, cancellationToken).ConfigureAwait(false);
        var rounds = continuous.WatchToSessionAsync(session, local, options, cancellationToken);
        await ctx.Console.Error.WriteLineAsync($"Watching {local} -> {session} ({options.Strategy.ToString().ToLowerInvariant()}); Ctrl+C stops.").ConfigureAwait(false);
        var count = 0;
        await foreach (var round in rounds.ConfigureAwait(false))
        {
            count++;
            await WriteLineAsync(ctx, ctx.Output.IsJson ? SyncWatchLines.Json(round) : SyncWatchLines.Human(round, time)).ConfigureAwait(false);
        }

        await ctx.Console.Error.WriteLineAsync($"Stopped after {count} round(s).").ConfigureAwait(false);
        return ExitCodes.Ok;
    }

    /// <summary>The engine, and the session checked once up front: rounds against a missing one would only be retried forever.</summary>
    private static async Task<(IContinuousSync Continuous, TimeProvider Time)> PrepareAsync(CliContext ctx, SessionName session, CancellationToken cancellationToken)
    {
        var continuous = ctx.Services.GetService<IContinuousSync>()
            ?? throw new BackendUnavailableException(ctx.Backend.Name, "Paude.Sync", "continuous sync is not registered in this build of paude");
        _ = await ctx.Backend.GetAsync(session, cancellationToken).ConfigureAwait(false)
            ?? throw new SessionNotFoundException(session.Value, ctx.Backend.Name);
        return (continuous, ctx.Services.GetRequiredService<TimeProvider>());
    }

    private static async Task WriteLineAsync(CliContext ctx, string line)
    {
        await ctx.Console.Out.WriteLineAsync(line).ConfigureAwait(false);
        await ctx.Console.Out.FlushAsync(CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>
    /// With <c>--fetch-commits</c>: a line on stderr when more session commits arrived on the session branch or the
    /// fetch was refused (stdout stays one line per round). Returns what was reported.
    /// </summary>
    private static async Task<(int Commits, string? Error)> ReportFetchAsync(CliContext ctx, TwoWaySyncStatus status, (int Commits, string? Error) reported)
    {
        if (status.CommitsFetched > reported.Commits)
        {
            await ctx.Console.Error.WriteLineAsync($"Fetched {status.CommitsFetched - reported.Commits} session commit(s) onto the session branch.").ConfigureAwait(false);
        }

        if (status.FetchError is { } error && error != reported.Error)
        {
            await ctx.Console.Error.WriteLineAsync($"Fetching the session's commits failed: {error}").ConfigureAwait(false);
        }

        return (status.CommitsFetched, status.FetchError);
    }

    private static string Name(ConflictPolicy policy) => policy switch
    {
        ConflictPolicy.KeepLocal => "keep-local",
        ConflictPolicy.KeepSession => "keep-session",
        ConflictPolicy.Stop => "stop",
        _ => "keep-both",
    };
}
