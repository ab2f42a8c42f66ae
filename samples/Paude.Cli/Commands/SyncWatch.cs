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
/// <c>paude sync NAME --direction to --watch</c>: continuous sync (Paude.Sync <see cref="IContinuousSync"/>), one
/// line per round on stdout (one compact JSON object per line with <c>-o json</c>) until Ctrl+C or SIGTERM, which
/// stop it cleanly with exit code 0.
/// </summary>
internal static class SyncWatch
{
    public static async Task<int> RunAsync(CliContext ctx, SessionName session, string local, ContinuousSyncOptions options, CancellationToken cancellationToken)
    {
        var sync = ctx.Services.GetService<IContinuousSync>()
            ?? throw new BackendUnavailableException(ctx.Backend.Name, "Paude.Sync", "continuous sync is not registered in this build of paude");

        // A round against a missing session would only be retried forever: say so once, up front.
        _ = await ctx.Backend.GetAsync(session, cancellationToken).ConfigureAwait(false)
            ?? throw new SessionNotFoundException(session.Value, ctx.Backend.Name);
        var time = ctx.Services.GetRequiredService<TimeProvider>();
        var rounds = sync.WatchToSessionAsync(session, local, options, cancellationToken);
        await ctx.Console.Error.WriteLineAsync($"Watching {local} -> {session} ({options.Strategy.ToString().ToLowerInvariant()}); Ctrl+C stops.").ConfigureAwait(false);
        var count = 0;
        await foreach (var round in rounds.ConfigureAwait(false))
        {
            count++;
            var line = ctx.Output.IsJson ? Json(round) : Human(round, time);
            await ctx.Console.Out.WriteLineAsync(line).ConfigureAwait(false);
            await ctx.Console.Out.FlushAsync(CancellationToken.None).ConfigureAwait(false);
        }

        await ctx.Console.Error.WriteLineAsync($"Stopped after {count} round(s).").ConfigureAwait(false);
        return ExitCodes.Ok;
    }

    /// <summary>The errors of combining <c>--watch</c> with options it does not support (all of them together).</summary>
    public static IReadOnlyList<string> Conflicts(bool dryRun, bool force)
    {
        var errors = new List<string>();
        if (dryRun)
        {
            errors.Add("--watch: cannot be combined with --dry-run");
        }

        if (force)
        {
            errors.Add("--watch: cannot be combined with --force (a round never replaces the session's own changes)");
        }

        return errors;
    }

    internal static string Human(ContinuousSyncRound round, TimeProvider time)
    {
        var text = new StringBuilder().Append(CultureInfo.InvariantCulture, $"{time.GetLocalNow():HH:mm:ss} round {round.Number} ({round.Trigger.ToString().ToLowerInvariant()}");
        text.Append(round.Events > 0 ? $", {round.Events} event(s)): " : "): ");
        if (round is { Result: { } r })
        {
            text.Append(CultureInfo.InvariantCulture, $"{r.FilesChanged.Count} written, {r.FilesDeleted.Count} deleted, {r.CommitsTransferred} commit(s), {r.BytesMoved} bytes, {r.Conflicts.Count} conflict(s)");
            if (r.Conflicts.Count > 0)
            {
                text.Append(": ").AppendJoin(", ", r.Conflicts.Take(10)).Append(r.Conflicts.Count > 10 ? ", ..." : string.Empty).Append(" (session copy kept)");
            }
        }
        else
        {
            text.Append("failed: ").Append(OneLine(round.Error!.Message));
            text.Append(round.RetryIn is { } retry ? $"; retrying in {retry.TotalSeconds:0.#} s" : "; waiting for the next change");
        }

        return text.Append(CultureInfo.InvariantCulture, $" [{round.Duration.TotalSeconds:0.0} s]").ToString();
    }

    private static string Json(ContinuousSyncRound round)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteNumber("round", round.Number);
            w.WriteString("trigger", round.Trigger.ToString().ToLowerInvariant());
            w.WriteNumber("events", round.Events);
            w.WriteString("startedAt", round.StartedAt);
            w.WriteNumber("durationMs", (long)round.Duration.TotalMilliseconds);
            w.WriteBoolean("succeeded", round.Succeeded);
            if (round.Result is { } r)
            {
                Strings(w, "filesChanged", r.FilesChanged);
                Strings(w, "filesDeleted", r.FilesDeleted);
                Strings(w, "conflicts", r.Conflicts);
                Strings(w, "warnings", r.Warnings);
                w.WriteNumber("commitsTransferred", r.CommitsTransferred);
                w.WriteNumber("bytesMoved", r.BytesMoved);
            }
            else
            {
                w.WriteStartObject("error");
                w.WriteString("kind", ExitCodes.Classify(round.Error!).Kind);
                w.WriteString("message", round.Error!.Message);
                w.WriteEndObject();
                if (round.RetryIn is { } retry)
                {
                    w.WriteNumber("retryInMs", (long)retry.TotalMilliseconds);
                }
            }

            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void Strings(Utf8JsonWriter w, string name, IReadOnlyList<string> values)
    {
        w.WriteStartArray(name);
        foreach (var value in values)
        {
            w.WriteStringValue(value);
        }

        w.WriteEndArray();
    }

    private static string OneLine(string message) => string.Join(' ', message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
