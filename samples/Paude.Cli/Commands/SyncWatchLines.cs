using System.Globalization;
using System.Text;
using System.Text.Json;
using Paude.Cli.Output;
using Paude.Sync;

namespace Paude.Cli.Commands;

/// <summary>
/// The lines <c>paude sync --watch</c> prints, one per round: human (a time, what moved, conflicts, duration) or one
/// compact JSON object (<c>-o json</c>) — for push rounds (<see cref="ContinuousSyncRound"/>) and two-way or pull rounds
/// (<see cref="TwoWaySyncRound"/>).
/// </summary>
internal static class SyncWatchLines
{
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

    internal static string Human(TwoWaySyncRound round, TimeProvider time)
    {
        var text = new StringBuilder().Append(CultureInfo.InvariantCulture, $"{time.GetLocalNow():HH:mm:ss} round {round.Number} ({round.Trigger}): ");
        if (round.Error is { } error)
        {
            text.Append("failed: ").Append(OneLine(error.Message)).Append("; reconnecting");
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

    internal static string Json(ContinuousSyncRound round)
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

    internal static string Json(TwoWaySyncRound round)
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
