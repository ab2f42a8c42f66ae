using System.Runtime.CompilerServices;
using LibGit2Sharp;
using Microsoft.Extensions.Logging;
using Paude.DependencyInjection;
using Paude.Errors;
using Paude.Sessions;
using Paude.Sync.Files;
using LogLevel = Microsoft.Extensions.Logging.LogLevel;

namespace Paude.Sync.Continuous;

/// <summary>
/// The continuous-sync loop: one round at a time, each an ordinary incremental push by <see cref="ISessionSync"/>
/// (same excludes, manifest, lock and conflict rules), started by debounced file-system events, by the periodic
/// rescan, or by the retry timer after a failure.
/// </summary>
internal sealed partial class ContinuousSync(ISessionSync sync, ISessionBackendProvider backends, TimeProvider time, ILogger<ContinuousSync> logger) : IContinuousSync
{
    public async Task<ITwoWaySync> StartTwoWayAsync(SessionName session, string workspace, TwoWaySyncOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(workspace);
        options.Validate();
        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(workspace));
        if (!Directory.Exists(root))
        {
            throw new InvalidOptionsException("Invalid sync workspace", [$"Workspace: the folder '{workspace}' does not exist"]);
        }

        TwoWay.CommitFetcher? fetcher = null;
        if (options.FetchCommits)
        {
            if (SessionSync.FindGitDirectory(root) is null)
            {
                throw new InvalidOptionsException("Invalid two-way sync options", [$"FetchCommits: the workspace '{workspace}' is not a git repository"]);
            }

            fetcher = new TwoWay.CommitFetcher(sync, session, root, options, time);
        }

        var loop = new TwoWay.TwoWayLoop(backends.GetBackend(options.Backend), session, root, options, fetcher, time, logger);
        await loop.StartAsync(cancellationToken).ConfigureAwait(false);
        return loop;
    }

    public IAsyncEnumerable<ContinuousSyncRound> WatchToSessionAsync(SessionName session, string workspace, ContinuousSyncOptions options, CancellationToken cancellationToken = default)
    {
        // Checked here, not at the first MoveNextAsync: bad input fails at the call, before anything runs.
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(workspace);
        options.Validate();
        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(workspace));
        if (!Directory.Exists(root))
        {
            throw new InvalidOptionsException("Invalid sync workspace", [$"Workspace: the folder '{workspace}' does not exist"]);
        }

        var gitDirectory = SessionSync.FindGitDirectory(root);
        if (gitDirectory is null && options.Strategy == SyncStrategy.Branch)
        {
            throw new NotAGitRepositoryException(root, "the branch strategy needs a git repository; use exclude for a plain folder");
        }

        return WatchAsync(session, root, gitDirectory is not null, options, cancellationToken);
    }

    private async IAsyncEnumerable<ContinuousSyncRound> WatchAsync(
        SessionName session, string root, bool isGit, ContinuousSyncOptions options, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var rules = new PathRules(options.Excludes);
        var pushesCommits = options.Strategy == SyncStrategy.Branch;

        // Watching starts before the first round, so nothing changed during it goes unseen.
        using var watcher = new WorkspaceWatcher(root, rules, pushesCommits, time, options.FileSystemEvents);
        if (watcher.Unavailable is not null)
        {
            LogNoEvents(logger, root, watcher.Unavailable);
        }

        // The session's cluster-wide sync exclusion (where the backend has one) is held for the whole run, not per
        // round: between rounds an upgrade run on another machine would otherwise replace the session under the watch.
        await using var clusterHeld = backends.GetBackend(options.Backend) is ISessionSyncExclusion exclusion
            ? await exclusion.HoldForSyncAsync(session, options.LockTimeout, cancellationToken).ConfigureAwait(false)
            : null;
        LogWatching(logger, session.Value, root, options.Strategy);
        var state = new LoopState(session, root, isGit, options, rules, watcher, time);
        var next = (Trigger: ContinuousSyncTrigger.Initial, Events: 0);
        for (var number = 1; ; number++)
        {
            var round = await RunRoundAsync(state, number, next.Trigger, next.Events, cancellationToken).ConfigureAwait(false);
            if (round is null)
            {
                break;
            }

            yield return round;
            var wait = await WaitForNextAsync(state, round.RetryIn, cancellationToken).ConfigureAwait(false);
            if (wait is null)
            {
                break;
            }

            next = wait.Value;
        }

        LogStopped(logger, session.Value, root);
    }

    /// <summary>One push; <c>null</c> when cancelled. Failures become the round's <see cref="ContinuousSyncRound.Error"/>.</summary>
    private async Task<ContinuousSyncRound?> RunRoundAsync(LoopState state, int number, ContinuousSyncTrigger trigger, int events, CancellationToken cancellationToken)
    {
        var startedAt = time.GetUtcNow();
        var started = time.GetTimestamp();
        try
        {
            var direction = SyncDirection.ToSession;
            if (trigger == ContinuousSyncTrigger.Pull)
            {
                direction = SyncDirection.FromSession;
                state.LastPull = started;
            }
            else
            {
                // Taken before the push: a change made during the round then differs from it at the next rescan.
                state.Snapshot = TakeSnapshot(state, cancellationToken);
            }

            // Stopping lets a round in flight finish within the grace period rather than cut a transfer in half.
            using var round = new CancellationTokenSource(Timeout.InfiniteTimeSpan, time);
            using var stop = cancellationToken.Register(() => round.CancelAfter(state.Options.StopGracePeriod));
            var result = await sync.SyncAsync(state.Session, state.Root, state.Options.ToSyncOptions(direction), null, round.Token).ConfigureAwait(false);
            state.Failures = 0;
            LogRound(logger, number, trigger, result.FilesChanged.Count, result.FilesDeleted.Count, result.CommitsTransferred, result.Conflicts.Count);
            return new ContinuousSyncRound { Number = number, Trigger = trigger, Events = events, StartedAt = startedAt, Duration = time.GetElapsedTime(started), Result = result };
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return null;
        }
        catch (Exception e) when (e is InvalidOptionsException or NotAGitRepositoryException)
        {
            // The workspace itself went away or changed kind: no retry can fix that.
            throw;
        }
        catch (Exception e)
        {
            // Refusals (work in the session a push would replace) wait for the next local change; anything else —
            // session stopped or gone, exec dropped, lock busy, a damaged transfer — may pass, so it is retried.
            TimeSpan? retryIn = null;
            if (e is not (UnsafeSyncException or SyncConflictException))
            {
                state.Failures++;
                var factor = Math.Pow(2, Math.Min(state.Failures - 1, 30));
                retryIn = TimeSpan.FromTicks((long)Math.Min(state.Options.RetryDelay.Ticks * factor, state.Options.MaxRetryDelay.Ticks));
            }

            LogRoundFailed(logger, number, trigger, e.GetType().Name, retryIn, e);
            return new ContinuousSyncRound { Number = number, Trigger = trigger, Events = events, StartedAt = startedAt, Duration = time.GetElapsedTime(started), Error = e, RetryIn = retryIn };
        }
    }

    /// <summary>What starts the next round; <c>null</c> when cancelled.</summary>
    private async Task<(ContinuousSyncTrigger Trigger, int Events)?> WaitForNextAsync(LoopState state, TimeSpan? retryIn, CancellationToken cancellationToken)
    {
        try
        {
            if (retryIn is { } delay)
            {
                // While failing, changes do not cut the back-off short; they are counted into the retry.
                await Task.Delay(delay, time, cancellationToken).ConfigureAwait(false);
                return (ContinuousSyncTrigger.Retry, state.Watcher.Take().Events);
            }

            var rescanAt = time.GetTimestamp();
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var untilPull = state.Options.PullInterval is { } interval ? interval - time.GetElapsedTime(state.LastPull) : TimeSpan.MaxValue;
                if (untilPull <= TimeSpan.Zero)
                {
                    return (ContinuousSyncTrigger.Pull, 0);
                }

                var untilRescan = state.Options.RescanInterval - time.GetElapsedTime(rescanAt);
                var wait = untilRescan < untilPull ? untilRescan : untilPull;
                if (wait > TimeSpan.Zero && await state.Watcher.WaitAsync(wait, cancellationToken).ConfigureAwait(false))
                {
                    await DebounceAsync(state, cancellationToken).ConfigureAwait(false);
                    var (events, paths, overflowed) = state.Watcher.Take();
                    if (overflowed)
                    {
                        return (ContinuousSyncTrigger.Rescan, events);
                    }

                    if (paths is null || !AllGitIgnored(state, paths))
                    {
                        return (ContinuousSyncTrigger.Changes, events);
                    }

                    continue;
                }

                if (time.GetElapsedTime(rescanAt) < state.Options.RescanInterval)
                {
                    continue;
                }

                // The rescan: only a difference the events missed starts a round.
                var now = TakeSnapshot(state, cancellationToken);
                rescanAt = time.GetTimestamp();
                if (state.Snapshot is null || !now.SameAs(state.Snapshot))
                {
                    return (ContinuousSyncTrigger.Rescan, state.Watcher.Take().Events);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    /// <summary>Waits until the workspace has been quiet for the quiet period, or the maximum delay has passed.</summary>
    private async Task DebounceAsync(LoopState state, CancellationToken cancellationToken)
    {
        var first = time.GetTimestamp();
        while (true)
        {
            var quietFor = time.GetElapsedTime(state.Watcher.LastEvent);
            var waited = time.GetElapsedTime(first);
            if (quietFor >= state.Options.QuietPeriod || waited >= state.Options.MaxDelay)
            {
                return;
            }

            var delay = TimeSpan.FromTicks(Math.Min((state.Options.QuietPeriod - quietFor).Ticks, (state.Options.MaxDelay - waited).Ticks));
            await Task.Delay(delay, time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Whether every changed path is ignored by <c>.gitignore</c> (e.g. a build writing into an ignored folder).</summary>
    private static bool AllGitIgnored(LoopState state, IReadOnlyCollection<string> paths)
    {
        if (!state.IsGit || paths.Count == 0)
        {
            return paths.Count == 0;
        }

        using var repo = new Repository(state.Root);
        return paths.All(p => !p.StartsWith(".git/", StringComparison.Ordinal) && repo.Ignore.IsPathIgnored(p));
    }

    private static LocalSnapshot TakeSnapshot(LoopState state, CancellationToken cancellationToken)
    {
        using var repo = state.IsGit ? new Repository(state.Root) : null;
        return LocalSnapshot.Take(state.Root, state.Rules, repo, state.Options.Strategy == SyncStrategy.Branch, cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Continuous sync {Workspace} -> {Session} ({Strategy}): watching")]
    private static partial void LogWatching(ILogger logger, string session, string workspace, SyncStrategy strategy);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Continuous sync of {Workspace}: no file-system events ({Reason}); relying on the periodic rescan")]
    private static partial void LogNoEvents(ILogger logger, string workspace, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Continuous sync round {Number} ({Trigger}): {Files} written, {Deleted} deleted, {Commits} commit(s), {Conflicts} conflict(s)")]
    private static partial void LogRound(ILogger logger, int number, ContinuousSyncTrigger trigger, int files, int deleted, int commits, int conflicts);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Continuous sync round {Number} ({Trigger}) failed ({Error}); retry in {RetryIn}")]
    private static partial void LogRoundFailed(ILogger logger, int number, ContinuousSyncTrigger trigger, string error, TimeSpan? retryIn, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Continuous sync {Workspace} -> {Session}: stopped")]
    private static partial void LogStopped(ILogger logger, string session, string workspace);
}
