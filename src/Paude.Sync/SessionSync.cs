using LibGit2Sharp;
using Microsoft.Extensions.Logging;
using LogLevel = Microsoft.Extensions.Logging.LogLevel;
using Paude.DependencyInjection;
using Paude.Errors;
using Paude.Sessions;
using Paude.Sync.Files;
using Paude.Sync.Git;
using Paude.Sync.Manifest;

namespace Paude.Sync;

/// <summary>The sync engine: picks the strategy implementation, holds the workspace lock, keeps the manifest.</summary>
internal sealed partial class SessionSync(ISessionBackendProvider backends, TimeProvider time, ILogger<SessionSync> logger) : ISessionSync, IAsyncDisposable, IDisposable
{
    /// <summary>The helpers kept open between syncs (<see cref="SyncOptions.UseSessionHelper"/>); ended on disposal.</summary>
    private readonly Continuous.Helper.SessionHelperPool _helpers = new(time);

    public ValueTask DisposeAsync() => _helpers.DisposeAsync();

    // A container disposed synchronously (`using var provider = services.BuildServiceProvider()`) throws for a
    // service that is only IAsyncDisposable. Closing the kept-open helpers ends their exec processes; the pool is empty
    // unless SyncOptions.UseSessionHelper was set, so this blocks only when there is something to close.
    public void Dispose() => _helpers.DisposeAsync().AsTask().GetAwaiter().GetResult();

    public Task<SyncResult> SyncAsync(SessionName session, string workspace, SyncOptions options, IProgress<SyncProgress>? progress = null, CancellationToken cancellationToken = default) =>
        SyncAsync(session, workspace, options, progress, lent: null, cancellationToken);

    /// <summary>
    /// A sync that uses <paramref name="lent"/>, a helper connection its caller owns and keeps open (two-way sync's),
    /// where it would start or borrow one; the exec paths stay the fallback.
    /// </summary>
    internal async Task<SyncResult> SyncAsync(SessionName session, string workspace, SyncOptions options, IProgress<SyncProgress>? progress, Continuous.Helper.HelperClient? lent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(workspace);
        options.Validate();
        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(workspace));
        if (!Directory.Exists(root))
        {
            throw new InvalidOptionsException("Invalid sync workspace", [$"Workspace: the folder '{workspace}' does not exist"]);
        }

        var backend = backends.GetBackend(options.Backend);
        var gitDirectory = FindGitDirectory(root);
        if (gitDirectory is null && options.Strategy == SyncStrategy.Branch)
        {
            throw new NotAGitRepositoryException(root, "the branch strategy needs a git repository; use exclude, merge or overwrite for a plain folder");
        }

        var store = ManifestStore.For(root, gitDirectory);
        using var held = await store.LockAsync(options.LockTimeout, time, cancellationToken).ConfigureAwait(false);

        // The session's own lock too (the workspace lock is per local folder): an upgrade of the session refuses while
        // it is held, and a sync waits while an upgrade replaces the session's containers.
        var sessionLock = SessionSyncLock.PathFor(backend.Name, session);
        using var sessionHeld = await SessionSyncLock.AcquireAsync(sessionLock, options.LockTimeout, time, cancellationToken).ConfigureAwait(false)
            ?? throw new SyncLockedException(sessionLock, options.LockTimeout);

        // A backend reachable from several machines (a cluster) has a session-wide exclusion as well: the lock file
        // above sees this machine only, and an upgrade run elsewhere must see this sync too.
        await using var clusterHeld = backend is ISessionSyncExclusion exclusion
            ? await exclusion.HoldForSyncAsync(session, options.LockTimeout, cancellationToken).ConfigureAwait(false)
            : null;
        if (LocalApplier.Recover(store.Directory))
        {
            LogRecovered(logger, root);
        }

        RemoveLeftoverStaging(root, gitDirectory);
        var manifest = store.Read();
        var context = new SyncContext(backend, session, root, gitDirectory, options, store, manifest, time, progress, _helpers, lent);
        var recorded = manifest.Sessions.GetValueOrDefault(session.Value);
        var last = recorded is { SessionWorkspace: { } folder } && folder != options.SessionWorkspace ? null : recorded;
        LogStarting(logger, session.Value, root, options.Direction, options.Strategy, options.DryRun);

        SyncResult result;
        var record = new SessionSyncRecord
        {
            LastSync = context.Now,
            Direction = options.Direction,
            Strategy = options.Strategy,
            SessionWorkspace = options.SessionWorkspace,
            Commit = last?.Commit,
            Files = last?.Files ?? [],
            Uploaded = last?.Uploaded ?? [],
        };
        if (options.Strategy == SyncStrategy.Exclude || gitDirectory is null)
        {
            using var repo = gitDirectory is null ? null : new Repository(gitDirectory);
            var fileBase = last is null ? null : BaseOf(last, repo, new PathRules(options.Excludes));
            (result, var files) = await new FileSync(context).RunAsync(fileBase, repo, cancellationToken).ConfigureAwait(false);
            record = record with { Files = files };
        }
        else
        {
            using var repo = new Repository(gitDirectory);
            if (options.Direction == SyncDirection.FromSession)
            {
                result = await new GitFromSession(context, repo).RunAsync(cancellationToken).ConfigureAwait(false);
                record = record with { Commit = result.Commit ?? last?.Commit };
            }
            else
            {
                (result, var uploaded) = await new GitToSession(context, repo).RunAsync(last, cancellationToken).ConfigureAwait(false);
                record = record with { Commit = result.Commit, Uploaded = uploaded };
            }
        }

        var newer = context.NewerSyncFromOtherSession(last);
        if (newer is not null && options.Direction == SyncDirection.FromSession)
        {
            result = result with { Warnings = [.. result.Warnings, newer] };
        }

        if (!options.DryRun)
        {
            manifest.Sessions[session.Value] = record;
            store.Write(manifest);
        }

        LogFinished(logger, session.Value, result.CommitsTransferred, result.FilesChanged.Count, result.Conflicts.Count, result.BytesMoved);
        progress?.Report(new SyncProgress(SyncStage.Done, "Done"));
        return result;
    }

    /// <summary>
    /// The file-level base of the last sync: its per-file hashes, or, after a git sync that recorded none, the files
    /// of the commit both sides had then plus the uncommitted files pushed with it.
    /// </summary>
    private static Dictionary<string, string> BaseOf(SessionSyncRecord last, Repository? repo, PathRules rules)
    {
        if (last.Files.Count > 0 || repo is null || last.Commit is null || repo.Lookup<Commit>(last.Commit) is not { } commit)
        {
            return last.Files;
        }

        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        AddTree(commit.Tree, files, rules);
        foreach (var (path, hash) in last.Uploaded)
        {
            if (hash == SessionSyncRecord.Deleted)
            {
                files.Remove(path);
            }
            else
            {
                files[path] = hash;
            }
        }

        return files;
    }

    private static void AddTree(Tree tree, Dictionary<string, string> files, PathRules rules)
    {
        foreach (var entry in tree)
        {
            if (rules.IsExcluded(entry.Path))
            {
                continue;
            }

            if (entry.Target is Tree sub)
            {
                AddTree(sub, files, rules);
            }
            else if (entry.Target is Blob blob && entry.Mode != Mode.SymbolicLink)
            {
                using var content = blob.GetContentStream();
                files[entry.Path] = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(content));
            }
        }
    }

    public Task<UnsyncedWork> FindUnsyncedWorkAsync(SessionName session, string workspace, SyncOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(workspace);
        options ??= new SyncOptions();
        options.Validate();
        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(workspace));
        if (!Directory.Exists(root))
        {
            throw new InvalidOptionsException("Invalid sync workspace", [$"Workspace: the folder '{workspace}' does not exist"]);
        }

        return UnsyncedWorkCheck.RunAsync(backends.GetBackend(options.Backend), session, root, FindGitDirectory(root), options, cancellationToken);
    }

    /// <summary>The <c>.git</c> folder when <paramref name="root"/> is the top of a work tree, else <c>null</c>.</summary>
    internal static string? FindGitDirectory(string root)
    {
        var dotGit = Path.Combine(root, ".git");
        if (!Path.Exists(dotGit))
        {
            return null;
        }

        var discovered = Repository.Discover(root);
        if (discovered is null)
        {
            return null;
        }

        using var repo = new Repository(discovered);
        return repo.Info.WorkingDirectory is { } wd && Path.TrimEndingDirectorySeparator(wd) == root
            ? Path.TrimEndingDirectorySeparator(repo.Info.Path)
            : null;
    }

    /// <summary>Staging folders of a sync that was killed before its journal was written: their content was never applied.</summary>
    private static void RemoveLeftoverStaging(string root, string? gitDirectory)
    {
        foreach (var parent in new[] { root, gitDirectory is null ? null : Path.Combine(gitDirectory, "paude") })
        {
            if (parent is null || !Directory.Exists(parent))
            {
                continue;
            }

            foreach (var dir in Directory.EnumerateDirectories(parent, "*" + PathRules.StagingPrefix + "*"))
            {
                Directory.Delete(dir, recursive: true);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Sync {Session} <-> {Workspace}: {Direction} {Strategy} (dry run: {DryRun})")]
    private static partial void LogStarting(ILogger logger, string session, string workspace, SyncDirection direction, SyncStrategy strategy, bool dryRun);

    [LoggerMessage(Level = LogLevel.Information, Message = "Sync {Session} done: {Commits} commit(s), {Files} file(s), {Conflicts} conflict(s), {Bytes} bytes")]
    private static partial void LogFinished(ILogger logger, string session, int commits, int files, int conflicts, long bytes);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Finished an interrupted sync of {Workspace} from its journal")]
    private static partial void LogRecovered(ILogger logger, string workspace);
}
