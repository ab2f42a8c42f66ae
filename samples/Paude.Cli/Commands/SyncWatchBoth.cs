using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Paude.Cli.Output;
using Paude.Errors;
using Paude.Sessions;
using Paude.Sync;

namespace Paude.Cli.Commands;

/// <summary>
/// <c>paude sync NAME --watch [--direction both] [--conflict POLICY]</c>: two-way continuous sync (Paude.Sync
/// <see cref="ITwoWaySync"/>), one status line per round on stdout (one compact JSON object per line with
/// <c>-o json</c>) until Ctrl+C or SIGTERM, which stop it cleanly with exit code 0. A conflict under <c>stop</c> ends
/// it with exit code 1 after its line.
/// </summary>
internal static class SyncWatchBoth
{
    /// <summary>The host's copy of the session helper to inject when the session's image lacks it (helper/build.sh output).</summary>
    public const string HelperBinaryVariable = "PAUDE_SESSION_HELPER";

    public static async Task<int> RunAsync(CliContext ctx, SessionName session, string local, TwoWaySyncOptions options, CancellationToken cancellationToken)
    {
        var continuous = ctx.Services.GetService<IContinuousSync>()
            ?? throw new BackendUnavailableException(ctx.Backend.Name, "Paude.Sync", "continuous sync is not registered in this build of paude");
        _ = await ctx.Backend.GetAsync(session, cancellationToken).ConfigureAwait(false)
            ?? throw new SessionNotFoundException(session.Value, ctx.Backend.Name);
        var time = ctx.Services.GetRequiredService<TimeProvider>();
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
                await ctx.Console.Out.WriteLineAsync(ctx.Output.IsJson ? Json(round) : Human(round, time)).ConfigureAwait(false);
                await ctx.Console.Out.FlushAsync(CancellationToken.None).ConfigureAwait(false);
                fetch = await ReportFetchAsync(ctx, session, sync.Status, fetch).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Ctrl+C / SIGTERM: a clean stop.
        }

        await ctx.Console.Error.WriteLineAsync($"Stopped after {count} round(s){(stopped ? " on a conflict (--conflict stop)" : "")}.").ConfigureAwait(false);
        return stopped ? 1 : ExitCodes.Ok;
    }

    /// <summary>
    /// With <c>--fetch-commits</c>: a line on stderr when more session commits arrived on the session branch or the
    /// fetch was refused (stdout stays one line per round). Returns what was reported.
    /// </summary>
    private static async Task<(int Commits, string? Error)> ReportFetchAsync(CliContext ctx, SessionName session, TwoWaySyncStatus status, (int Commits, string? Error) reported)
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

    /// <summary>The errors of combining two-way watch with options it does not support (all of them together).</summary>
    public static IEnumerable<string> Conflicts(bool dryRun, bool force, bool strategyGiven)
    {
        if (dryRun) yield return "--watch: cannot be combined with --dry-run";
        if (force) yield return "--watch: cannot be combined with --force (a round never replaces the session's own changes)";
        if (strategyGiven) yield return "--strategy: two-way sync (--direction both, the default with --watch) syncs files only; use --direction push for a strategy";
    }

    public static ConflictPolicy Policy(string name) => name switch
    {
        "keep-local" => ConflictPolicy.KeepLocal,
        "keep-session" => ConflictPolicy.KeepSession,
        "stop" => ConflictPolicy.Stop,
        _ => ConflictPolicy.KeepBoth,
    };

    private static string Name(ConflictPolicy policy) => policy switch
    {
        ConflictPolicy.KeepLocal => "keep-local",
        ConflictPolicy.KeepSession => "keep-session",
        ConflictPolicy.Stop => "stop",
        _ => "keep-both",
    };

    internal static string Human(TwoWaySyncRound round, TimeProvider time)
    {
        var text = new StringBuilder().Append(CultureInfo.InvariantCulture, $"{time.GetLocalNow():HH:mm:ss} round {round.Number} ({round.Trigger}): ");
        if (round.Error is { } error)
        {
            text.Append("failed: ").Append(string.Join(' ', error.Message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))).Append("; reconnecting");
        }
        else
        {
            text.Append(CultureInfo.InvariantCulture, $"{round.Pushed} pushed, {round.Pulled} pulled, {round.DeletedLocal + round.DeletedSession} deleted, {round.Conflicts.Count} conflict(s)");
            if (round.Conflicts.Count > 0)
            {
                text.Append(": ").AppendJoin(", ", round.Conflicts.Take(10).Select(c => c.CopyPath is null ? $"{c.Path} ({c.Outcome})" : $"{c.Path} ({c.Outcome}, copy {c.CopyPath})"));
            }

            if (round.Deferred > 0) text.Append(CultureInfo.InvariantCulture, $", {round.Deferred} deferred");
            if (round.Stopped) text.Append("; stopped");
        }

        return text.Append(CultureInfo.InvariantCulture, $" [{round.Duration.TotalSeconds:0.00} s]").ToString();
    }

    private static string Json(TwoWaySyncRound round)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteNumber("round", round.Number);
            w.WriteString("trigger", round.Trigger);
            w.WriteString("startedAt", round.StartedAt);
            w.WriteNumber("durationMs", (long)round.Duration.TotalMilliseconds);
            w.WriteBoolean("succeeded", round.Error is null);
            w.WriteNumber("pushed", round.Pushed);
            w.WriteNumber("pulled", round.Pulled);
            w.WriteNumber("deletedLocal", round.DeletedLocal);
            w.WriteNumber("deletedSession", round.DeletedSession);
            w.WriteNumber("deferred", round.Deferred);
            w.WriteBoolean("stopped", round.Stopped);
            w.WriteStartArray("conflicts");
            foreach (var c in round.Conflicts)
            {
                w.WriteStartObject();
                w.WriteString("path", c.Path);
                w.WriteString("outcome", c.Outcome);
                w.WriteString("copy", c.CopyPath);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            if (round.Error is { } error)
            {
                w.WriteStartObject("error");
                w.WriteString("kind", ExitCodes.Classify(error).Kind);
                w.WriteString("message", error.Message);
                w.WriteEndObject();
            }

            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
