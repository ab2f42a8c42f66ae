using System.Globalization;
using System.Text;
using LibGit2Sharp;
using Paude.Execution;
using Paude.Sync.Files;
using Paude.Sync.Manifest;

namespace Paude.Sync.Git;

/// <summary>
/// The fast path of a git push when the local branch is still at the commit of the last push, or has new commits on
/// top of it: one exec, and only the changed files (plus a pack of the new commits' objects) cross the wire.
/// <para>
/// What changed is decided on the host, with no listing from the session: the session holds the last pushed
/// commit plus the files that push uploaded (the manifest records their hashes), and git's index (stat cache) says
/// which local files differ from the commit. The paths whose content differs from what the session should hold are
/// written or deleted.
/// </para>
/// <para>
/// Safety without a listing: the session may have changed files since (an agent at work). Rather than sending the
/// session's state back (a round trip, and a listing of every dirty file), the host sends, per path it is about to
/// replace, the hash the session should hold; the session hashes only those paths and refuses — changing nothing —
/// when one holds something else. Its other files are not touched, so they need no check. When the session is not
/// on the branch at the expected commit (the agent committed, switched branch, or the repository is gone) the
/// script exits before reading anything and the caller takes the full path (probe, divergence check, receive-pack).
/// </para>
/// <para>
/// New local commits: the session holds the last pushed commit, so the pack carries only what the new commits add
/// (<see cref="PushPack"/>), the paths those commits change join the candidates (their expected content is the last
/// pushed commit's), and the session moves its branch with <c>git update-ref &lt;new&gt; &lt;old&gt;</c> once the files
/// are in place — refused when the branch moved meanwhile. Commits that change a symlink or a submodule take the
/// full path (the fast path writes regular files only).
/// </para>
/// </summary>
internal sealed partial class IncrementalPush(SyncContext context, Repository repo)
{
    private static readonly string Absent = new('-', PushScripts.HashLength);

    /// <summary>
    /// Whether the fast path applies: the last sync was a git push of the commit the branch is at now, or of one of
    /// its ancestors (only new commits on top: a fast-forward).
    /// </summary>
    public static bool Applies(SyncContext context, Repository repo, SessionSyncRecord? last) =>
        last is { Direction: SyncDirection.ToSession, Commit: not null }
        && last.Strategy != SyncStrategy.Exclude
        && !context.Options.DryRun
        && !repo.Info.IsHeadDetached
        && !repo.Info.IsHeadUnborn
        && (repo.Head.Tip.Sha == last.Commit || (repo.Lookup<Commit>(last.Commit) is { } pushed && GitHistory.IsAncestor(repo, pushed, repo.Head.Tip)));

    /// <summary>Where a forced push copies the session files it replaces (workspace-relative; out of every listing).</summary>
    private string BackupFolder => Files.SessionBackup.Folder(context);

    /// <summary>Pushes; <c>null</c> (nothing changed anywhere) when the session is not where the last push left it.</summary>
    public async Task<(SyncResult Result, Dictionary<string, string> Uploaded)?> TryRunAsync(SessionSyncRecord last, CancellationToken cancellationToken)
    {
        var options = context.Options;
        var rules = new PathRules(options.Excludes);
        var head = repo.Head.Tip;
        var since = head.Sha == last.Commit ? null : repo.Lookup<Commit>(last.Commit!);
        if (since is null && !options.Force && await context.SessionHelperAsync(cancellationToken).ConfigureAwait(false) is { } helper)
        {
            var viaHelper = await TryHelperAsync(helper, head, last, rules, cancellationToken).ConfigureAwait(false);
            if (viaHelper is { Moved: true })
            {
                return null;
            }

            if (viaHelper is { Done: { } done })
            {
                return done;
            }
        }

        string[] argv = ["bash", "-c", PushScripts.Apply, "bash", options.SessionWorkspace, repo.Head.FriendlyName, last.Commit!, options.Force ? "1" : "0", since is null ? string.Empty : head.Sha, BackupFolder];

        // Start the session program first: starting an exec costs more than the local status scan, so they overlap.
        var starting = context.Backend.StartProcessAsync(context.Session, new ProcessSpec(argv) { RedirectStandardInput = true }, cancellationToken);
        context.Report(SyncStage.Checking, "Comparing the workspace with the last push");
        PushPlan? planned;
        (byte[] Bytes, int Commits)? pack = null;
        try
        {
            planned = Plan(head, since, last.Uploaded, GitHistory.Dirty(repo, rules.IsExcluded).Where(p => !rules.IsExcluded(p)), cancellationToken);
            if (planned is not null && since is not null)
            {
                context.Report(SyncStage.Checking, "Packing the new commits");
                pack = PushPack.Build(repo, head, since, context.NewStagingFolder(), cancellationToken);
            }
        }
        catch
        {
            await PushProcess.AbandonAsync(starting).ConfigureAwait(false);
            throw;
        }

        if (planned is not { } plan)
        {
            await PushProcess.AbandonAsync(starting).ConfigureAwait(false);
            return null;
        }

        var header = new MemoryStream();
        foreach (var op in plan.Ops)
        {
            header.Write(Encoding.UTF8.GetBytes($"{(op.New is null ? 'D' : 'W')}{op.Expected ?? Absent}{op.New ?? Absent}{op.Path}"));
            header.WriteByte(0);
        }

        var writes = plan.Ops.Where(o => o.New is not null).Select(o => o.Path).ToList();
        var deletes = plan.Ops.Where(o => o.New is null).Select(o => o.Path).ToList();
        // Nothing to change: end-of-file right away, so the session only verifies its state and no byte is sent.
        var packBytes = pack?.Bytes ?? [];
        var nothing = plan.Ops.Count == 0 && pack is null;
        var first = nothing ? Array.Empty<byte>() : Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{header.Length} {(writes.Count > 0 ? 1 : 0)} {packBytes.Length} {plan.IndexInfo.Length}\n"));
        context.Report(SyncStage.Transferring, $"Pushing {pack?.Commits ?? 0} commit(s), {writes.Count} file(s), {deletes.Count} deletion(s)", 0, plan.Ops.Count);
        var (exit, output, error, sent) = await RunAsync(starting, [.. first, .. header.ToArray(), .. plan.IndexInfo, .. packBytes], writes, cancellationToken).ConfigureAwait(false);
        var records = SessionCommand.Records(output).ToList();
        switch (exit)
        {
            case PushScripts.StateMoved:
                return null;
            case PushScripts.AtRisk:
                var atRisk = records.Select(AtRiskPath).ToList();
                throw new UnsafeSyncException(
                    $"Push to session '{context.Session.Value}' refused: the session has uncommitted changes of its own that the push would replace.", [], atRisk);
            case 0 when records.LastOrDefault() == "K":
            case PushScripts.NothingSent when nothing:
                break;
            case Files.SafePlaceScript.Refused:
                throw Files.StagedUpload.Refusal(context.Session.Value, error);
            case PushScripts.BranchMoved:
                throw new SyncTransportException($"Push to session '{context.Session.Value}' incomplete: the session's branch moved while the files were placed, so it was not updated. Sync from the session, then push again.");
            default:
                throw new SyncTransportException($"Pushing files to session '{context.Session.Value}' failed (exit {exit}): {(error.Length > 1000 ? error[..1000] : error)}");
        }

        var warnings = new List<string>();
        var conflicts = SentPaths(records, 'C', writes);
        if (conflicts.Count > 0)
        {
            // The session keeps its folder/link (the full push's rule); these files stay as uploaded before (the next push retries).
            warnings.Add($"{conflicts.Count} uncommitted file(s) were not written: the session has a folder, link or file of another type in their way that the last sync did not write (sync with force to move it to a backup folder in the session): {string.Join(", ", conflicts.Take(20))}");
            writes.RemoveAll(conflicts.Contains);
            foreach (var path in conflicts)
            {
                plan.Uploaded.Remove(path);
            }
        }

        // Deletions where the session held nothing (or a folder) deleted nothing: not reported, as on the full path.
        var untouched = SentPaths(records, 'A', deletes);
        deletes.RemoveAll(untouched.Contains);
        var forced = records.Where(r => r.Length > 1 && r[0] == 'F').Select(r => AtRiskPath("R" + r[1..])).ToList();
        if (forced.Count > 0)
        {
            warnings.Add($"Forced: the session's uncommitted changes to {string.Join(", ", forced.Take(20))} were replaced (tracked changes are kept in the session's git stash).");
        }

        // The folder's name is ours (the session only says it made it): the user is told where the replaced files are.
        var backups = new List<string>();
        if (options.Force && records.Contains("B"))
        {
            var folder = $"{options.SessionWorkspace.TrimEnd('/')}/{BackupFolder}";
            backups.Add($"{context.Session.Value}:{folder}");
            warnings.Add($"Forced: the session files the push replaced were copied to {folder} in the session.");
        }

        // Session output: the moved paths only reach the message, made printable.
        var movedAside = records.Where(r => r.Length > 1 && r[0] == 'B').Select(r => Transport.PktLine.Printable(Encoding.UTF8.GetBytes(r[1..]))).ToList();
        if (options.Force && movedAside.Count > 0)
        {
            var folder = $"{options.SessionWorkspace.TrimEnd('/')}/{BackupFolder}";
            warnings.Add($"Forced: {movedAside.Count} session path(s) of another type in the way of a write were moved to {folder} in the session: {string.Join(", ", movedAside.Take(20))}");
            if (!backups.Contains($"{context.Session.Value}:{folder}"))
            {
                backups.Add($"{context.Session.Value}:{folder}");
            }
        }

        context.Report(SyncStage.Done, $"{writes.Count} file(s) pushed, {deletes.Count} deleted");
        var result = new SyncResult
        {
            Strategy = options.Strategy,
            Direction = SyncDirection.ToSession,
            CommitsTransferred = pack?.Commits ?? 0,
            RefsWritten = since is null ? [] : [$"{context.Session.Value}:refs/heads/{repo.Head.FriendlyName}"],
            FilesChanged = writes,
            FilesDeleted = deletes,
            Conflicts = conflicts,
            Commit = head.Sha,
            BytesMoved = sent,
            BackupRefs = backups,
            Warnings = warnings,
        };
        return (result, plan.Uploaded);
    }

    /// <summary>
    /// The push through the open helper (<see cref="HelperPush"/>): done, the session moved (<c>Moved</c>: the full
    /// path), or <c>null</c> when the script must do it (beyond the helper path's limits, or the helper failed: it is
    /// ended and the script re-checks everything; what was placed already holds the new content).
    /// </summary>
    private async Task<(bool Moved, (SyncResult Result, Dictionary<string, string> Uploaded)? Done)?> TryHelperAsync(
        Continuous.Helper.HelperClient helper, Commit head, SessionSyncRecord last, PathRules rules, CancellationToken cancellationToken)
    {
        context.Report(SyncStage.Checking, "Comparing the workspace with the last push");
        var plan = Plan(head, null, last.Uploaded, GitHistory.Dirty(repo, rules.IsExcluded).Where(p => !rules.IsExcluded(p)), cancellationToken)!;
        var writes = plan.Ops.Where(o => o.New is not null).Select(o => o.Path).ToList();
        var deletes = plan.Ops.Where(o => o.New is null).Select(o => o.Path).ToList();
        context.Report(SyncStage.Transferring, $"Pushing {writes.Count} file(s), {deletes.Count} deletion(s)", 0, plan.Ops.Count);
        try
        {
            var (outcome, sent) = await new HelperPush(context, helper).RunAsync([.. plan.Ops.Select(o => (o.Path, o.Expected, o.New))], repo.Head.FriendlyName, last.Commit!, cancellationToken).ConfigureAwait(false);
            if (outcome != HelperPush.Outcome.Done)
            {
                return outcome == HelperPush.Outcome.StateMoved ? (true, null) : null;
            }

            context.Report(SyncStage.Done, $"{writes.Count} file(s) pushed, {deletes.Count} deleted");
            var result = new SyncResult
            {
                Strategy = context.Options.Strategy,
                Direction = SyncDirection.ToSession,
                FilesChanged = writes,
                FilesDeleted = deletes,
                Commit = head.Sha,
                BytesMoved = sent,
            };
            return (false, (result, plan.Uploaded));
        }
        catch (Exception e) when (e is Continuous.Helper.HelperChannelException or Continuous.Helper.HelperOperationException)
        {
            await context.DiscardHelperAsync(helper).ConfigureAwait(false);
            return null;
        }
        catch (SyncTransportException)
        {
            await context.DiscardHelperAsync(helper).ConfigureAwait(false);
            throw;
        }
    }

    private async Task<(int Exit, byte[] Output, string Error, long Sent)> RunAsync(Task<ISessionProcess> starting, byte[] header, List<string> writes, CancellationToken cancellationToken)
    {
        var process = await starting.ConfigureAwait(false);
        await using (process.ConfigureAwait(false))
        {
            var stdout = PushProcess.ReadCappedAsync(process.StandardOutput, 16 * 1024 * 1024, cancellationToken);
            var stderr = PushProcess.ReadCappedAsync(process.StandardError, 64 * 1024, cancellationToken);
            var sent = await SendAsync(context.Guarded(process.StandardInput, "a push"), header, writes, cancellationToken).ConfigureAwait(false);
            var (output, error, exit) = await PushProcess.AnswerAsync(context, process, stdout, stderr, "a push", cancellationToken).ConfigureAwait(false);
            return (exit, output, error, sent);
        }
    }

    /// <summary>Writes the header and the tar; returns the bytes written. A session that stopped reading (it refused) ends it early.</summary>
    private async Task<long> SendAsync(Stream stdin, byte[] header, List<string> writes, CancellationToken cancellationToken)
    {
        long sent = 0;
        if (header.Length > 0 && !await PushProcess.TryWriteAsync(stdin, header, cancellationToken).ConfigureAwait(false))
        {
            return sent;
        }

        sent += header.Length;
        if (writes.Count > 0)
        {
            var tar = TarOfFiles.Open(context.Workspace, writes, cancellationToken);
            await using (tar.ConfigureAwait(false))
            {
                var buffer = new byte[81920];
                int n;
                while ((n = await ReadLocalAsync(tar, buffer, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    if (!await PushProcess.TryWriteAsync(stdin, buffer.AsMemory(0, n), cancellationToken).ConfigureAwait(false))
                    {
                        return sent;
                    }

                    sent += n;
                }
            }
        }

        try
        {
            await stdin.DisposeAsync().ConfigureAwait(false);
        }
        catch (IOException)
        {
        }

        return sent;
    }

    /// <summary>Reads the local tar; a file that vanished or cannot be read becomes the typed error (the caller's disposal ends the session program).</summary>
    private async Task<int> ReadLocalAsync(Stream tar, byte[] buffer, CancellationToken cancellationToken)
    {
        try
        {
            return await tar.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw PushProcess.LocalReadFailed(context.Session.Value, e);
        }
    }

    /// <summary>
    /// The <paramref name="kind"/> records' paths, sorted; session output, so each must name a path this push sent
    /// in <paramref name="sent"/>.
    /// </summary>
    private static List<string> SentPaths(List<string> records, char kind, List<string> sent)
    {
        var paths = records.Where(r => r.Length > 1 && r[0] == kind).Select(r => r[1..]).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var known = sent.ToHashSet(StringComparer.Ordinal);
        var bad = paths.FirstOrDefault(p => !known.Contains(p));
        return bad is null ? paths : throw new Errors.UnsafeContentException(bad.Length > 80 ? bad[..80] : bad, "is not a path this push sent");
    }

    private static string AtRiskPath(string record) =>
        record.Length > 1 && record[0] == 'R' && PathRules.IsSafeRelative(record[1..])
            ? record[1..]
            : throw new Errors.UnsafeContentException(record.Length > 80 ? record[..80] : record, "is not a push refusal record");
}
