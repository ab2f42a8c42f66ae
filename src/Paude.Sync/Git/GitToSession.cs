using LibGit2Sharp;
using Paude.Sync.Files;
using Paude.Sync.Manifest;
using Paude.Sync.Transport;

namespace Paude.Sync.Git;

/// <summary>
/// Local → session with git: the current branch's commits go over <c>git-receive-pack</c> to a side ref, the
/// session's working tree follows the branch (<c>git checkout -B</c>, which refuses to overwrite the session's own
/// uncommitted work), and only the uncommitted local files whose content the session lacks are uploaded.
/// </summary>
internal sealed class GitToSession(SyncContext context, Repository repo)
{
    private const string IncomingRef = "refs/paude/incoming";

    public async Task<(SyncResult Result, Dictionary<string, string> Uploaded)> RunAsync(SessionSyncRecord? last, CancellationToken cancellationToken)
    {
        var options = context.Options;
        var rules = new PathRules(options.Excludes);
        if (repo.Info.IsHeadDetached || repo.Info.IsHeadUnborn)
        {
            throw new UnsafeSyncException(
                repo.Info.IsHeadUnborn ? "The local branch has no commits yet: commit first, or use the exclude strategy to push files only." : "HEAD is detached: check out a branch to push.", [], []);
        }

        // The common case (the branch is where the last push left it; files edited): one exec, changed files only.
        if (IncrementalPush.Applies(context, repo, last) && await new IncrementalPush(context, repo).TryRunAsync(last!, cancellationToken).ConfigureAwait(false) is { } fast)
        {
            return fast;
        }

        // Never synced with this session from here: if its workspace is empty, one tar stream of files and objects.
        if (last is null && !context.Options.DryRun && await new FirstPush(context, repo).TryRunAsync(cancellationToken).ConfigureAwait(false) is { } first)
        {
            return first;
        }

        var branch = repo.Head.FriendlyName;
        var head = repo.Head.Tip;
        context.Report(SyncStage.Checking, "Reading the session's repository state");
        var argv = new List<string> { "bash", "-c", SessionScripts.ProbeRepository, "bash", options.SessionWorkspace, branch };
        argv.AddRange(rules.NamePatterns);
        argv.AddRange(rules.PathPatterns);
        var session = SessionRepositoryState.Parse(await SessionCommand.RunCheckedAsync(context.Backend, context.Session, "Reading the session's repository", argv, default, cancellationToken).ConfigureAwait(false));

        var warnings = new List<string>();
        var backups = new List<string>();
        var refs = new List<string>();
        long bytes = 0;

        // 1. Commits the session has that the push would drop.
        var sessionTips = new[] { session.BranchCommit, session.HeadBranch.Length == 0 ? session.HeadCommit : string.Empty }
            .Where(s => s.Length > 0).Distinct(StringComparer.Ordinal).ToList();
        var known = sessionTips.Select(s => repo.Lookup<Commit>(s)).ToList();
        if (known.Any(c => c is null || !GitHistory.IsAncestor(repo, c, head)))
        {
            bytes += await CheckDivergenceAsync(session, branch, head, backups, cancellationToken).ConfigureAwait(false);
            known = sessionTips.Select(s => repo.Lookup<Commit>(s)).ToList();
        }

        var commitsToSend = GitHistory.Only(repo, head, known.OfType<Commit>()).Count;

        // 2. The session's uncommitted files: ours (uploaded by the last push, unchanged since) or the session's work.
        var uploaded = last?.Direction == SyncDirection.ToSession ? last.Uploaded : [];
        var commitMoves = session.BranchCommit != head.Sha || session.HeadBranch != branch;
        var discard = new List<string>();
        var kept = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (path, hash) in session.Dirty)
        {
            if (uploaded.TryGetValue(path, out var ours) && ours == hash)
            {
                if (commitMoves)
                {
                    discard.Add(path);
                }
                else
                {
                    kept[path] = hash;
                }
            }
            else
            {
                kept[path] = hash;
            }
        }

        // 3. Local uncommitted files whose content the session will not have after the follow.
        var writes = new List<string>();
        var deletes = new List<string>();
        var nowUploaded = new Dictionary<string, string>(StringComparer.Ordinal);
        var atRisk = new List<string>();
        foreach (var path in GitHistory.Dirty(repo, rules.IsExcluded))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!LocalTree.TryHashRegular(context.Workspace, path, out var local))
            {
                continue;
            }

            var expected = kept.TryGetValue(path, out var s) ? s : session.Deleted.Contains(path) ? null : CommittedHash(head, path);
            if (local == expected)
            {
                nowUploaded[path] = local ?? SessionSyncRecord.Deleted;
                continue;
            }

            if (kept.TryGetValue(path, out var theirs) && !(uploaded.TryGetValue(path, out var mine) && mine == theirs))
            {
                atRisk.Add(path);
            }

            if (local is not null)
            {
                writes.Add(path);
                nowUploaded[path] = local;
            }
            else if (last is null)
            {
                warnings.Add($"First push: '{path}' (deleted locally) was not deleted in the session.");
            }
            else
            {
                deletes.Add(path);
                nowUploaded[path] = SessionSyncRecord.Deleted;
            }
        }

        if (atRisk.Count > 0)
        {
            // A session link or folder in the way of a write is a type obstacle, reported as a conflict below (the
            // incremental push's rule too), not session work at risk: the probe hashed what the link points at.
            var obstacles = await StagedUpload.FindObstaclesAsync(context, writes, deletes, cancellationToken).ConfigureAwait(false);
            atRisk.RemoveAll(obstacles.Contains);
        }

        if (atRisk.Count > 0 && !options.Force)
        {
            throw new UnsafeSyncException(
                $"Push to session '{context.Session.Value}' refused: the session has uncommitted changes of its own that the push would replace.", [], atRisk);
        }

        if (atRisk.Count > 0)
        {
            warnings.Add($"Forced: the session's uncommitted changes to {string.Join(", ", atRisk.Take(20))} were replaced.");
        }

        var result = new SyncResult
        {
            Strategy = options.Strategy,
            Direction = SyncDirection.ToSession,
            DryRun = options.DryRun,
            CommitsTransferred = commitsToSend,
            FilesChanged = writes,
            FilesDeleted = deletes,
            Commit = head.Sha,
            BackupRefs = backups,
            Warnings = warnings,
        };
        if (options.DryRun)
        {
            // The upload's own check in the session (nothing sent but the header, nothing changed): the session paths
            // of another type in the way of a write, reported as the push would report them.
            var obstacles = await StagedUpload.FindObstaclesAsync(context, writes, [], cancellationToken).ConfigureAwait(false);
            if (obstacles.Count > 0 && options.Force)
            {
                warnings.Add($"Forced: session paths of another type in the way of {obstacles.Count} uncommitted file(s) would be moved to a backup folder in the session: {string.Join(", ", obstacles.Take(20))}");
            }
            else if (obstacles.Count > 0)
            {
                warnings.Add($"{obstacles.Count} uncommitted file(s) would not be written: the session has a folder, link or file of another type in their way that the last sync did not write (sync with force to move it to a backup folder in the session): {string.Join(", ", obstacles.Take(20))}");
                writes.RemoveAll(obstacles.Contains);
                result = result with { Conflicts = obstacles };
            }

            return (result with { RefsWritten = [$"{context.Session.Value}:refs/heads/{branch}"] }, uploaded);
        }

        // 4. Apply: keep a copy of the session work the push replaces, init (first push), push the commits, make the
        //    working tree follow, upload the files.
        if (atRisk.Count > 0 && await SessionBackup.CopyAsync(context, atRisk, cancellationToken).ConfigureAwait(false) is { } copied)
        {
            warnings.Add($"Forced: the session files the push replaced were copied to {copied} in the session.");
            backups.Add($"{context.Session.Value}:{copied}");
        }

        if (!session.Exists)
        {
            await SessionCommand.RunCheckedAsync(context.Backend, context.Session, "Creating the session's repository", ["bash", "-c", SessionScripts.InitRepository, "bash", options.SessionWorkspace, branch], default, cancellationToken).ConfigureAwait(false);
        }

        if (session.BranchCommit != head.Sha || !session.Exists)
        {
            context.Report(SyncStage.Transferring, $"Pushing {commitsToSend} commit(s)");
            bytes += await SessionGit.PushAsync(repo, context.Backend, context.Session, options.SessionWorkspace, $"+{repo.Head.CanonicalName}:{IncomingRef}", options.StreamIdleTimeout, context.Time, cancellationToken).ConfigureAwait(false);
        }

        if (commitMoves || discard.Count > 0 || deletes.Count > 0 || !session.Exists)
        {
            context.Report(SyncStage.Applying, "Updating the session's working tree");
            var follow = new List<string> { "bash", "-c", SessionScripts.Follow, "bash", options.SessionWorkspace, head.Sha, branch, options.Force ? "1" : "0", discard.Count.ToString(System.Globalization.CultureInfo.InvariantCulture) };
            follow.AddRange(discard);
            follow.AddRange(deletes);
            var followed = await SessionCommand.RunCheckedAsync(context.Backend, context.Session, "Updating the session's working tree", follow, default, cancellationToken).ConfigureAwait(false);
            if (StashOf(followed) is { } stash)
            {
                warnings.Add($"Forced: the session's tracked uncommitted changes were stashed in the session as {stash} (git stash list).");
                backups.Add($"{context.Session.Value}:{stash}");
            }

            refs.Add($"{context.Session.Value}:refs/heads/{branch}");
        }

        IReadOnlyList<string> conflicts = [];
        if (writes.Count > 0)
        {
            context.Report(SyncStage.Transferring, $"Uploading {writes.Count} uncommitted file(s)", 0, writes.Count);
            var upload = await StagedUpload.RunAsync(context, writes, [], cancellationToken).ConfigureAwait(false);
            bytes += upload.Bytes;
            conflicts = upload.Conflicts;
            if (conflicts.Count > 0 && writes.Count > conflicts.Count)
            {
                // The upload changed nothing: the rest is sent again without the conflicts (as the file-level push does).
                var again = await StagedUpload.RunAsync(context, [.. writes.Except(conflicts, StringComparer.Ordinal)], [], cancellationToken).ConfigureAwait(false);
                bytes += again.Bytes;
                if (again.Conflicts.Count > 0)
                {
                    throw new SyncTransportException($"The session's workspace kept changing type under the sync ({string.Join(", ", again.Conflicts.Take(20))}); nothing more was written. Sync again.");
                }
            }

            if (conflicts.Count > 0)
            {
                // The session keeps its folder/link; these files stay uploaded-as-before (the next push retries).
                warnings.Add($"{conflicts.Count} uncommitted file(s) were not written: the session has a folder, link or file of another type in their way that the last sync did not write (sync with force to move it to a backup folder in the session): {string.Join(", ", conflicts.Take(20))}");
                foreach (var path in conflicts)
                {
                    nowUploaded.Remove(path);
                    writes.Remove(path);
                }
            }

            if (upload.MovedAside.Count > 0)
            {
                var folder = $"{options.SessionWorkspace.TrimEnd('/')}/{upload.BackupFolder}";
                warnings.Add($"Forced: {upload.MovedAside.Count} session path(s) of another type in the way of a write were moved to {folder} in the session: {string.Join(", ", upload.MovedAside.Take(20))}");
                if (!backups.Contains($"{context.Session.Value}:{folder}"))
                {
                    backups.Add($"{context.Session.Value}:{folder}");
                }
            }
        }

        context.Report(SyncStage.Done, $"{commitsToSend} commit(s) and {writes.Count - conflicts.Count} file(s) pushed");
        return (result with { BytesMoved = bytes, RefsWritten = refs, Conflicts = conflicts }, nowUploaded);
    }

    /// <summary>
    /// The session has commits the local branch lacks: fetch them to name them; refuse unless forced, and when
    /// forced keep them under a local backup ref before the push replaces them in the session.
    /// </summary>
    private async Task<long> CheckDivergenceAsync(SessionRepositoryState session, string branch, Commit head, List<string> backups, CancellationToken cancellationToken)
    {
        var incoming = $"refs/paude/incoming/{context.Session.Value}";
        var specs = new List<string>();
        if (session.BranchCommit.Length > 0)
        {
            specs.Add($"+refs/heads/{branch}:{incoming}");
        }

        if (session.HeadBranch.Length == 0 && session.HeadCommit.Length > 0)
        {
            specs.Add($"+HEAD:{incoming}-head");
        }

        var bytes = await SessionGit.FetchAsync(repo, context.Backend, context.Session, context.Options.SessionWorkspace, specs, context.Options.StreamIdleTimeout, context.Time, cancellationToken).ConfigureAwait(false);
        try
        {
            var tips = new[] { incoming, incoming + "-head" }.Select(r => GitHistory.ToCommit(repo.Refs[r]?.ResolveToDirectReference()?.Target)).OfType<Commit>().ToList();
            var atRisk = tips.SelectMany(t => GitHistory.Only(repo, t, [head])).DistinctBy(c => c.Id).ToList();
            if (atRisk.Count == 0)
            {
                return bytes;
            }

            if (!context.Options.Force)
            {
                throw new UnsafeSyncException(
                    $"Push to session '{context.Session.Value}' refused: the session has {atRisk.Count} commit(s) the local branch '{branch}' does not have. Sync from the session first (branch or merge strategy).",
                    [.. atRisk.Select(GitHistory.Describe)], []);
            }

            if (!context.Options.DryRun)
            {
                for (var i = 0; i < tips.Count; i++)
                {
                    var tip = tips[i];
                    var name = $"refs/paude-backup/{context.Session.Value}/{context.Stamp}-session{(i == 0 ? string.Empty : "-" + i)}";
                    repo.Refs.Add(name, tip.Id, "paude sync: session commits before a forced push");
                    backups.Add(name);
                }
            }

            return bytes;
        }
        finally
        {
            foreach (var r in new[] { incoming, incoming + "-head" })
            {
                if (repo.Refs[r] is not null)
                {
                    repo.Refs.Remove(r);
                }
            }
        }
    }

    /// <summary>The stash commit follow.sh reports (<c>S&lt;id&gt;</c>); session output, so only a commit id is taken.</summary>
    private static string? StashOf(byte[] output) =>
        SessionCommand.Records(output)
            .Where(r => r.Length is 41 or 65 && r[0] == 'S' && r[1..].All(char.IsAsciiHexDigitLower))
            .Select(r => r[1..])
            .FirstOrDefault();

    private static string? CommittedHash(Commit head, string path)
    {
        if (head[path]?.Target is not Blob blob)
        {
            return null;
        }

        using var content = blob.GetContentStream();
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(content));
    }
}
