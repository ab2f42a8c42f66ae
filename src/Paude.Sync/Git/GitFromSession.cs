using LibGit2Sharp;
using Paude.Sync.Files;
using Paude.Sync.Transport;

namespace Paude.Sync.Git;

/// <summary>Session → local with git: the branch, merge and overwrite strategies.</summary>
internal sealed class GitFromSession(SyncContext context, Repository repo)
{
    private readonly List<string> _refs = [];
    private readonly List<string> _backups = [];
    private readonly List<string> _warnings = [];

    /// <summary>Where older versions fetched to; a leftover (killed process) is removed and never taken for local work.</summary>
    private string IncomingRef => $"refs/paude/incoming/{context.Session.Value}";

    private string TargetBranch => $"refs/heads/{context.Options.BranchPrefix}{context.Session.Value}";

    public async Task<SyncResult> RunAsync(CancellationToken cancellationToken)
    {
        if (repo.Refs[IncomingRef] is not null)
        {
            repo.Refs.Remove(IncomingRef);
        }

        context.Report(SyncStage.Transferring, "Fetching the session's commits");
        var tips = GitHistory.RefTips(repo).ToList();
        var (incoming, bytes) = await FetchAsync(Haves(tips), cancellationToken).ConfigureAwait(false);
        if (incoming is null)
        {
            return Result(0, bytes, null, [], [], warning: "The session's repository has no commits yet; nothing to sync.");
        }

        var arrived = GitHistory.Only(repo, incoming, tips).Count;
        cancellationToken.ThrowIfCancellationRequested();
        context.Report(SyncStage.Applying, $"{arrived} new commit(s) from the session");
        return context.Options.Strategy switch
        {
            SyncStrategy.Branch => Branch(incoming, arrived, bytes),
            SyncStrategy.Merge => Merge(incoming, arrived, bytes),
            _ => Overwrite(incoming, arrived, bytes),
        };
    }

    /// <summary>
    /// The session's HEAD and its objects: through the open session helper when asked for (no exec), else (or when the
    /// helper cannot tell, e.g. no repository) one exec of <c>git-upload-pack</c>. A helper that fails is ended and the
    /// exec path taken; one that sends something invalid is ended (a lent one too: its owner reconnects) and the typed
    /// error stands (nothing was written).
    /// </summary>
    private async Task<(Commit? Head, long Bytes)> FetchAsync(List<ObjectId> haves, CancellationToken cancellationToken)
    {
        if (await context.SessionHelperAsync(cancellationToken).ConfigureAwait(false) is { } helper)
        {
            try
            {
                if (await HelperFetch.TryFetchHeadAsync(helper, repo, haves, SessionFetch.DefaultMaxPackBytes, cancellationToken).ConfigureAwait(false) is { } fetched)
                {
                    return fetched;
                }
            }
            catch (Exception e) when (e is Continuous.Helper.HelperChannelException or Continuous.Helper.HelperOperationException)
            {
                await context.DiscardHelperAsync(helper).ConfigureAwait(false);
            }
            catch (SyncTransportException e)
            {
                await context.DropLyingHelperAsync(helper, e).ConfigureAwait(false);
                throw;
            }
        }

        return await SessionFetch.FetchHeadAsync(
            repo, context.Backend, context.Session, context.Options.SessionWorkspace, haves, SessionFetch.DefaultMaxPackBytes,
            context.Options.StreamIdleTimeout, context.Time, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The local tips offered as haves, the likeliest common ones first: this session's branch (its last fetch), then
    /// the current branch (its last push), then the rest.
    /// </summary>
    private List<ObjectId> Haves(List<Commit> tips)
    {
        var first = new[] { repo.Refs[TargetBranch]?.ResolveToDirectReference()?.TargetIdentifier, repo.Info.IsHeadUnborn ? null : repo.Head.Tip?.Sha }
            .OfType<string>()
            .Select(sha => new ObjectId(sha));
        return [.. first.Concat(tips.Select(t => t.Id)).Distinct()];
    }

    private SyncResult Branch(Commit incoming, int arrived, long bytes)
    {
        var target = TargetBranch;
        if (repo.Head.CanonicalName == target && !repo.Info.IsHeadUnborn)
        {
            throw new UnsafeSyncException(
                $"The session branch '{target["refs/heads/".Length..]}' is checked out; the branch strategy never touches the current branch. Switch to another branch, or use the merge strategy.", [], []);
        }

        var existing = GitHistory.ToCommit(repo.Refs[target]?.ResolveToDirectReference()?.Target);
        if (existing?.Id == incoming.Id)
        {
            return Result(arrived, bytes, incoming.Sha, [], []);
        }

        if (!context.Options.DryRun)
        {
            if (existing is not null && !GitHistory.IsAncestor(repo, existing, incoming))
            {
                // The session no longer has these commits (rewritten or reset): keep them reachable.
                Backup(existing, string.Empty);
            }

            repo.Refs.Add(target, incoming.Id, $"paude sync: from session {context.Session.Value}", allowOverwrite: true);
        }
        else if (existing is not null && !GitHistory.IsAncestor(repo, existing, incoming))
        {
            _backups.Add($"refs/paude-backup/{context.Session.Value}/{context.Stamp}");
        }

        _refs.Add(target);
        return Result(arrived, bytes, incoming.Sha, [], []);
    }

    private SyncResult Merge(Commit incoming, int arrived, long bytes)
    {
        var rules = new PathRules(context.Options.Excludes);
        if (repo.Info.IsHeadUnborn)
        {
            var dirtyNew = GitHistory.Dirty(repo, rules.IsExcluded);
            return StartBranchAt(incoming, arrived, bytes, dirtyNew, [.. incoming.Tree.Select(e => e.Path)]);
        }

        var head = repo.Head.Tip;
        if (GitHistory.IsAncestor(repo, incoming, head))
        {
            _warnings.Add("Already up to date: the current branch contains every commit of the session.");
            return Result(arrived, bytes, head.Sha, [], []);
        }

        CheckoutBlobLimit.Ensure(repo, head.Tree, incoming.Tree);
        var fastForward = GitHistory.IsAncestor(repo, head, incoming);
        Tree resultTree;
        if (fastForward)
        {
            resultTree = incoming.Tree;
        }
        else
        {
            // Merge in memory first: a conflicting merge is refused before the index or working tree is touched.
            var merged = repo.ObjectDatabase.MergeCommits(head, incoming, new MergeTreeOptions());
            if (merged.Status == MergeTreeStatus.Conflicts)
            {
                throw new SyncConflictException([.. merged.Conflicts.Select(c => (c.Ours ?? c.Theirs ?? c.Ancestor).Path).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)]);
            }

            resultTree = merged.Tree;
        }

        var changes = repo.Diff.Compare<TreeChanges>(head.Tree, resultTree);
        var changed = changes.SelectMany(c => new[] { c.Path, c.OldPath }).Distinct(StringComparer.Ordinal).ToHashSet(StringComparer.Ordinal);
        var overlap = GitHistory.WorkAtRisk(repo, rules.IsExcluded).Where(changed.Contains).ToList();
        if (overlap.Count > 0)
        {
            throw new UnsafeSyncException(
                "Merge refused: these files have uncommitted changes and the merge changes them. Commit or stash them and sync again.", [], overlap);
        }

        var files = changes.Where(c => c.Status != ChangeKind.Deleted).Select(c => c.Path).ToList();
        var deleted = changes.Where(c => c.Status is ChangeKind.Deleted or ChangeKind.Renamed).Select(c => c.Status == ChangeKind.Renamed ? c.OldPath : c.Path).ToList();
        EnsureCheckoutStaysInside(changed, changed);
        if (context.Options.DryRun)
        {
            _refs.Add(repo.Head.CanonicalName);
            return Result(arrived, bytes, fastForward ? incoming.Sha : null, files, deleted);
        }

        MergeResult merge;
        try
        {
            merge = repo.Merge(incoming, GitHistory.Signature(repo, context.Now), new MergeOptions
            {
                FastForwardStrategy = FastForwardStrategy.Default,
                CommitOnSuccess = true,
                FailOnConflict = true,
            });
        }
        catch (CheckoutConflictException)
        {
            // libgit2 checks before it writes anything: a real merge over an index that differs from HEAD (a staged
            // deletion whose path was written again) is refused even where the paths above do not overlap. Found by
            // the model-based sync test (seed bbIcQl_KsKO2); it escaped untyped.
            throw new UnsafeSyncException(
                "Merge refused: uncommitted changes (staged or not) stand in the merge's way. Commit or stash them and sync again.", [], GitHistory.Dirty(repo, rules.IsExcluded));
        }

        if (merge.Status == MergeStatus.Conflicts)
        {
            throw new SyncConflictException([.. repo.Index.Conflicts.Select(c => (c.Ours ?? c.Theirs ?? c.Ancestor).Path)]);
        }

        _refs.Add(repo.Head.CanonicalName);
        return Result(arrived, bytes, repo.Head.Tip.Sha, files, deleted);
    }

    private SyncResult Overwrite(Commit incoming, int arrived, long bytes)
    {
        var rules = new PathRules(context.Options.Excludes);
        var head = repo.Info.IsHeadUnborn ? null : repo.Head.Tip;
        var atRisk = head is null ? [] : GitHistory.Only(repo, head, [incoming]);
        var dirty = GitHistory.WorkAtRisk(repo, rules.IsExcluded);
        if ((atRisk.Count > 0 || dirty.Count > 0) && !context.Options.Force)
        {
            var newer = context.NewerSyncFromOtherSession(context.Manifest.Sessions.GetValueOrDefault(context.Session.Value));
            throw new UnsafeSyncException(
                $"Overwrite from session '{context.Session.Value}' refused: the current branch has {atRisk.Count} commit(s) the session does not have and {dirty.Count} uncommitted change(s)."
                + (newer is null ? string.Empty : " " + newer),
                [.. atRisk.Select(GitHistory.Describe)],
                dirty);
        }

        CheckoutBlobLimit.Ensure(repo, head?.Tree, incoming.Tree);
        var treeChanges = head is null ? null : repo.Diff.Compare<TreeChanges>(head.Tree, incoming.Tree);
        var files = treeChanges is null ? TreePaths(incoming.Tree) : treeChanges.Where(c => c.Status != ChangeKind.Deleted).Select(c => c.Path).ToList();
        var touched = treeChanges is null ? [.. files] : treeChanges.SelectMany(c => new[] { c.Path, c.OldPath }).ToHashSet(StringComparer.Ordinal);
        EnsureCheckoutStaysInside(touched, touched);
        var untracked = repo.RetrieveStatus(new StatusOptions { IncludeUntracked = true, RecurseUntrackedDirs = true })
            .Where(e => e.State == FileStatus.NewInWorkdir && !rules.IsExcluded(e.FilePath)).Select(e => e.FilePath).ToList();
        if (context.Options.DryRun)
        {
            _refs.Add(repo.Head.CanonicalName);
            return Result(arrived, bytes, incoming.Sha, files, untracked);
        }

        if (atRisk.Count > 0)
        {
            Backup(head!, string.Empty);
        }

        if (dirty.Count > 0)
        {
            var snapshot = GitHistory.Snapshot(repo, head, dirty, GitHistory.Signature(repo, context.Now), $"paude sync: uncommitted work before overwrite from session {context.Session.Value}");
            Backup(snapshot, "-worktree");
        }

        if (head is null)
        {
            repo.Refs.Add(repo.Head.CanonicalName, incoming.Id, "paude sync: overwrite from session");
            repo.CheckoutPaths(incoming.Sha, ["*"], new CheckoutOptions { CheckoutModifiers = CheckoutModifiers.Force });
        }
        else
        {
            repo.Reset(ResetMode.Hard, incoming);
        }

        foreach (var path in untracked)
        {
            // Kept in the "-worktree" backup above; never deleted through a link (the reset may have checked one out).
            WorkspacePath.EnsureNoLinkOnTheWay(context.Workspace, path);
            File.Delete(Path.Combine(context.Workspace, path));
        }

        _refs.Add(repo.Head.CanonicalName);
        return Result(arrived, bytes, incoming.Sha, files, untracked);
    }

    /// <summary>An empty local repository: its branch starts at the session's commit (untracked files in the way refuse it).</summary>
    private SyncResult StartBranchAt(Commit incoming, int arrived, long bytes, List<string> dirty, List<string> files)
    {
        var clash = dirty.Intersect(files, StringComparer.Ordinal).ToList();
        if (clash.Count > 0)
        {
            throw new UnsafeSyncException("Merge refused: untracked local files would be overwritten by the session's files.", [], clash);
        }

        CheckoutBlobLimit.Ensure(repo, null, incoming.Tree);
        EnsureCheckoutStaysInside(TreePaths(incoming.Tree), new HashSet<string>(StringComparer.Ordinal));
        if (!context.Options.DryRun)
        {
            repo.Refs.Add(repo.Head.CanonicalName, incoming.Id, "paude sync: from session");
            repo.CheckoutPaths(incoming.Sha, ["*"], new CheckoutOptions());
        }

        _refs.Add(repo.Head.CanonicalName);
        return Result(arrived, bytes, incoming.Sha, files, []);
    }

    /// <summary>
    /// Refuses (<see cref="UnsafeLocalPathException"/>, nothing changed) before libgit2 checks anything out when a path
    /// the checkout writes or deletes passes through a local symbolic link: libgit2 creates the missing folders of a
    /// path through whatever stands there, so an untracked <c>linkdir -> /outside</c> and a session commit adding
    /// <c>linkdir/x</c> would write outside the workspace. A link the checkout itself replaces (it is one of the changed
    /// paths, e.g. a tracked link the session turned into a folder) is removed by libgit2 before it writes below it.
    /// </summary>
    private void EnsureCheckoutStaysInside(IEnumerable<string> paths, HashSet<string> replacedByCheckout)
    {
        foreach (var path in paths)
        {
            try
            {
                WorkspacePath.EnsureNoLinkOnTheWay(context.Workspace, path);
            }
            catch (UnsafeLocalPathException ex) when (replacedByCheckout.Contains(ex.Link))
            {
            }
        }
    }

    /// <summary>Every file (blob, link, submodule) path of a tree, recursively.</summary>
    private static List<string> TreePaths(Tree tree)
    {
        var paths = new List<string>();
        foreach (var entry in tree)
        {
            if (entry.TargetType == TreeEntryTargetType.Tree)
            {
                paths.AddRange(TreePaths((Tree)entry.Target));
            }
            else
            {
                paths.Add(entry.Path);
            }
        }

        return paths;
    }

    private void Backup(Commit commit, string suffix)
    {
        var name = $"refs/paude-backup/{context.Session.Value}/{context.Stamp}{suffix}";
        repo.Refs.Add(name, commit.Id, "paude sync: backup", allowOverwrite: false);
        _backups.Add(name);
        _refs.Add(name);
    }

    private SyncResult Result(int arrived, long bytes, string? commit, IReadOnlyList<string> files, IReadOnlyList<string> deleted, string? warning = null)
    {
        if (warning is not null)
        {
            _warnings.Add(warning);
        }

        return new SyncResult
        {
            Strategy = context.Options.Strategy,
            Direction = SyncDirection.FromSession,
            DryRun = context.Options.DryRun,
            CommitsTransferred = arrived,
            BytesMoved = bytes,
            Commit = commit,
            FilesChanged = files,
            FilesDeleted = deleted,
            RefsWritten = [.. _refs],
            BackupRefs = [.. _backups],
            Warnings = [.. _warnings],
        };
    }
}
