using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Paude.Sessions;
using Paude.Sync.Continuous.Helper;
using Paude.Sync.Files;

namespace Paude.Sync.Continuous.TwoWay;

/// <summary>
/// The two-way loop behind <see cref="ITwoWaySync"/>: one helper connection (re-made with back-off when lost, the
/// agreed state kept through <see cref="TwoWayApplier.Reconnected"/>), local events from <see cref="WorkspaceWatcher"/>
/// and the helper's watch events wake it; a quiet period merges a burst into one round; one round at a time.
/// </summary>
internal sealed partial class TwoWayLoop : ITwoWaySync
{
    private readonly ISessionBackend _backend;
    private readonly SessionName _session;
    private readonly string _root;
    private readonly TwoWaySyncOptions _options;
    private readonly PathRules _rules;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CommitFetcher? _fetcher;
    private readonly CancellationTokenSource _stop = new();
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly Channel<TwoWaySyncRound> _rounds = Channel.CreateBounded<TwoWaySyncRound>(new BoundedChannelOptions(1000) { FullMode = BoundedChannelFullMode.DropOldest });
    private readonly Lock _gate = new();
    private readonly List<TaskCompletionSource<TwoWaySyncRound>> _flushes = [];
    private TwoWaySyncStatus _status = new() { State = TwoWaySyncState.Connecting };
    private bool _paused;
    private bool _resumed;
    private int _sessionEvents;
    private long _lastSessionEvent;
    private HashSet<string> _sessionPaths = new(StringComparer.Ordinal);
    private bool _sessionOverflow;
    private Task _run = Task.CompletedTask;
    private IReadOnlyList<string> _lastDeferred = [];
    private int _disposed;

    /// <summary>The trigger of a commit-fetch tick (no round runs for it).</summary>
    private const string FetchTick = "fetch";

    public TwoWayLoop(ISessionBackend backend, SessionName session, string root, TwoWaySyncOptions options, CommitFetcher? fetcher, TimeProvider time, ILogger logger)
    {
        _fetcher = fetcher;
        _backend = backend;
        _session = session;
        _root = root;
        _options = options;
        // As the one-way sync: where the local file system ignores case, a session's .GIT/hooks is .git/hooks here.
        _rules = new PathRules(options.Excludes, FileSystemCase.IgnoresCase(root));
        _time = time;
        _logger = logger;
    }

    public TwoWaySyncStatus Status => Volatile.Read(ref _status);

    public Task Completion => _run;

    /// <summary>Connects (the first connection's failure is the caller's error) and starts the loop.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // The session's cluster-wide sync exclusion (where the backend has one) is held for the loop's whole run,
        // waited for as long as the caller allows.
        var clusterHeld = _backend is ISessionSyncExclusion exclusion
            ? await exclusion.HoldForSyncAsync(_session, _options.LockTimeout, cancellationToken).ConfigureAwait(false)
            : null;
        try
        {
            await StartHoldingAsync(clusterHeld, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            if (clusterHeld is not null)
            {
                await clusterHeld.DisposeAsync().ConfigureAwait(false);
            }

            throw;
        }
    }

    private async Task StartHoldingAsync(IAsyncDisposable? clusterHeld, CancellationToken cancellationToken)
    {
        var launcher = NewLauncher();
        // The creation time tells this session from an earlier one of the same name, whose stored base must not be used.
        var created = (await _backend.GetAsync(_session, cancellationToken).ConfigureAwait(false))?.CreatedAt;
        var store = TwoWayBaseStore.For(_root, _backend.Name, _session.Value, _options.SessionWorkspace, _options.StateDirectory);
        var client = await launcher.ConnectAsync(_session, _options.SessionWorkspace, cancellationToken).ConfigureAwait(false);
        var applier = new TwoWayApplier(client, _root, _rules, _options.ConflictPolicy, direction: _options.Direction, store: store, sessionCreatedAt: created);
        _run = Task.Run(
            async () =>
            {
                try
                {
                    await RunAsync(launcher, client, applier, _stop.Token).ConfigureAwait(false);
                }
                finally
                {
                    if (clusterHeld is not null)
                    {
                        await clusterHeld.DisposeAsync().ConfigureAwait(false);
                    }
                }
            },
            CancellationToken.None);
    }

    public async IAsyncEnumerable<TwoWaySyncRound> ReadRoundsAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var round in _rounds.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return round;
        }
    }

    public void Pause()
    {
        lock (_gate) { _paused = true; }
        Update(s => s with { State = s.State == TwoWaySyncState.Running ? TwoWaySyncState.Paused : s.State });
    }

    public void Unpause()
    {
        lock (_gate) { _paused = false; _resumed = true; }
        Update(s => s with { State = s.State == TwoWaySyncState.Paused ? TwoWaySyncState.Running : s.State });
        _wake.Writer.TryWrite(true);
    }

    public Task<TwoWaySyncRound> FlushAsync(CancellationToken cancellationToken = default)
    {
        var flush = new TaskCompletionSource<TwoWaySyncRound>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (_run.IsCompleted && _status.State == TwoWaySyncState.Stopped) throw new InvalidOperationException("The two-way sync has stopped.");
            _flushes.Add(flush);
        }

        _wake.Writer.TryWrite(true);
        return flush.Task.WaitAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        await _stop.CancelAsync().ConfigureAwait(false);
        try { await _run.ConfigureAwait(false); }
        catch (OperationCanceledException) { /* stopping */ }
        _stop.Dispose();
    }

    private SessionHelperLauncher NewLauncher() =>
        new(_backend, new HelperConnectionOptions { ReplyTimeout = _options.ReplyTimeout, TimeProvider = _time }, _options.HelperBinary);

    private async Task RunAsync(SessionHelperLauncher launcher, HelperClient client, TwoWayApplier applier, CancellationToken stop)
    {
        using var watcher = new WorkspaceWatcher(_root, _rules, watchGitRefs: false, _time);
        var watch = StartSessionWatch(client, stop);
        Update(s => s with { State = Paused() ? TwoWaySyncState.Paused : TwoWaySyncState.Running });
        string? trigger = "initial";
        int number = 0, failures = 0;
        IReadOnlyList<string> carried = [];
        try
        {
            while (!stop.IsCancellationRequested)
            {
                trigger ??= await WaitForTriggerAsync(watcher, stop).ConfigureAwait(false);
                if (trigger is null) continue;
                if (trigger == FetchTick)
                {
                    await FetchCommitsAsync(client, stop).ConfigureAwait(false);
                    trigger = null;
                    continue;
                }

                List<TaskCompletionSource<TwoWaySyncRound>> flushes;
                lock (_gate) { flushes = [.. _flushes]; _flushes.Clear(); _resumed = false; }
                var (_, localPaths, _) = watcher.Take();
                Interlocked.Exchange(ref _sessionEvents, 0);
                HashSet<string> sessionPaths;
                bool sessionOverflow;
                lock (_gate) { (sessionPaths, sessionOverflow) = (_sessionPaths, _sessionOverflow); _sessionPaths = new(StringComparer.Ordinal); _sessionOverflow = false; }
                // A round woken by the watches decides only what they reported (plus what the last round deferred);
                // the other triggers, and lost events, list everything.
                HashSet<string>? scope = null;
                if (trigger is "changes" or "session-changes" && localPaths is not null && !sessionOverflow)
                {
                    scope = [.. localPaths, .. sessionPaths, .. carried];
                }

                var round = await RunRoundAsync(applier, ++number, trigger, scope, stop).ConfigureAwait(false);
                carried = round.Error is null ? _lastDeferred : [];
                Publish(round);
                foreach (var f in flushes) f.TrySetResult(round);
                if (applier.Persist() is { } notStored) LogBaseNotStored(_logger, _session.Value, notStored);
                trigger = null;
                if (round.Stopped) break;
                if (round.Error is null)
                {
                    failures = 0;
                    await FetchCommitsAsync(client, stop).ConfigureAwait(false);
                    continue;
                }

                // The connection is gone: re-made with back-off; the applier keeps what both sides agreed on.
                await watch.Cancel.CancelAsync().ConfigureAwait(false);
                await client.DisposeAsync().ConfigureAwait(false);
                Update(s => s with { State = TwoWaySyncState.Reconnecting });
                while (true)
                {
                    var delay = TimeSpan.FromTicks((long)Math.Min(_options.RetryDelay.Ticks * Math.Pow(2, Math.Min(failures++, 30)), _options.MaxRetryDelay.Ticks));
                    await Task.Delay(delay, _time, stop).ConfigureAwait(false);
                    try
                    {
                        client = await launcher.ConnectAsync(_session, _options.SessionWorkspace, stop).ConfigureAwait(false);
                        break;
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        LogReconnectFailed(_logger, _session.Value, e.GetType().Name, e);
                    }
                }

                applier.Reconnected(client);
                watch = StartSessionWatch(client, stop);
                Update(s => s with { State = Paused() ? TwoWaySyncState.Paused : TwoWaySyncState.Running, Reconnections = s.Reconnections + 1 });
                trigger = "reconnect";
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Disposed.
        }
        finally
        {
            await watch.Cancel.CancelAsync().ConfigureAwait(false);
            watch.Cancel.Dispose();
            await client.DisposeAsync().ConfigureAwait(false);
            List<TaskCompletionSource<TwoWaySyncRound>> left;
            lock (_gate)
            {
                left = [.. _flushes];
                _flushes.Clear();
                Update(s => s with { State = TwoWaySyncState.Stopped });
            }

            foreach (var f in left) f.TrySetException(new InvalidOperationException("The two-way sync has stopped."));
            _rounds.Writer.TryComplete();
            LogStopped(_logger, _session.Value, _root);
        }
    }

    /// <summary>Waits for a reason to run a round; <c>null</c> when woken by nothing that needs one (e.g. paused).</summary>
    private async Task<string?> WaitForTriggerAsync(WorkspaceWatcher watcher, CancellationToken stop)
    {
        if (TakeUrgent() is { } urgent) return urgent;
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(stop);
        var woken = _wake.Reader.WaitToReadAsync(wait.Token).AsTask();
        // While paused, local events are left pending (the watcher keeps them) and only a resume or flush wakes the loop.
        var local = Paused()
            ? Task.Delay(Timeout.InfiniteTimeSpan, _time, wait.Token).ContinueWith(_ => false, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default)
            : watcher.WaitAsync(_options.RescanInterval, wait.Token);
        // With commit fetching on, a tick checks the session's HEAD (no round) when nothing else happened.
        var tick = _fetcher is null || Paused()
            ? null
            : Task.Delay(_options.FetchInterval, _time, wait.Token).ContinueWith(_ => true, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
        var first = await (tick is null ? Task.WhenAny(woken, local) : Task.WhenAny(woken, local, tick)).ConfigureAwait(false);
        await wait.CancelAsync().ConfigureAwait(false);
        stop.ThrowIfCancellationRequested();
        _wake.Reader.TryRead(out _);
        if (TakeUrgent() is { } now) return now;
        if (Paused()) return null;
        bool localChanged = first == local && local.IsCompletedSuccessfully && local.Result;
        bool sessionChanged = Volatile.Read(ref _sessionEvents) > 0;
        if (!localChanged && !sessionChanged) return first == local ? "rescan" : first == tick ? FetchTick : null;
        return await DebounceAsync(watcher, stop).ConfigureAwait(false) ?? (localChanged ? "changes" : "session-changes");
    }

    private string? TakeUrgent()
    {
        lock (_gate)
        {
            if (_flushes.Count > 0) return "flush";
            if (_resumed) return "resume";
        }

        return null;
    }

    /// <summary>
    /// Waits until neither side has changed for the quiet period (at most ten periods), in short slices so a flush or a
    /// resume cuts it short (then returns that trigger).
    /// </summary>
    private async Task<string?> DebounceAsync(WorkspaceWatcher watcher, CancellationToken stop)
    {
        var quiet = _options.QuietPeriod;
        var slice = quiet < TimeSpan.FromMilliseconds(50) ? quiet : TimeSpan.FromMilliseconds(50);
        var first = _time.GetTimestamp();
        while (quiet > TimeSpan.Zero)
        {
            if (TakeUrgent() is { } urgent) return urgent;
            // Sleep until the quiet period after the latest event ends (no later: every slice overshoot is latency).
            long lastSession = Interlocked.Read(ref _lastSessionEvent);
            var sinceLast = TimeSpan.FromTicks(Math.Min(_time.GetElapsedTime(watcher.LastEvent).Ticks, _time.GetElapsedTime(lastSession).Ticks));
            var remaining = quiet - sinceLast;
            if (remaining > TimeSpan.Zero) await Task.Delay(remaining < slice ? remaining : slice, _time, stop).ConfigureAwait(false);
            bool settled = _time.GetElapsedTime(watcher.LastEvent) >= quiet && _time.GetElapsedTime(Interlocked.Read(ref _lastSessionEvent)) >= quiet;
            if (settled || _time.GetElapsedTime(first) >= quiet * 10) break;
        }

        return null;
    }

    private async Task<TwoWaySyncRound> RunRoundAsync(TwoWayApplier applier, int number, string trigger, IReadOnlyCollection<string>? scope, CancellationToken stop)
    {
        var startedAt = _time.GetUtcNow();
        var started = _time.GetTimestamp();
        _lastDeferred = [];
        try
        {
            var r = await applier.RunAsync(scope, stop).ConfigureAwait(false);
            _lastDeferred = r.Deferred;
            var conflicts = r.Conflicts.Select(c => new TwoWaySyncConflict(c.Path, Outcome(c.Outcome), c.CopyPath)).ToList();
            LogRound(_logger, number, trigger, r.Pulled, r.Pushed, r.DeletedLocal + r.DeletedSession, conflicts.Count);
            return new TwoWaySyncRound
            {
                Number = number, Trigger = trigger, StartedAt = startedAt, Duration = _time.GetElapsedTime(started), Pulled = r.Pulled, Pushed = r.Pushed,
                DeletedLocal = r.DeletedLocal, DeletedSession = r.DeletedSession, Conflicts = conflicts, Deferred = r.Deferred.Count, Stopped = r.Stopped,
            };
        }
        catch (Exception e) when (e is not OperationCanceledException || !stop.IsCancellationRequested)
        {
            LogRoundFailed(_logger, number, trigger, e.GetType().Name, e);
            return new TwoWaySyncRound { Number = number, Trigger = trigger, StartedAt = startedAt, Duration = _time.GetElapsedTime(started), Error = e };
        }
    }

    /// <summary>
    /// Fetches the session's new commits (when on and its HEAD moved). A failure is logged and shown in the status,
    /// never fatal: a lost channel shows in the next round, which reconnects.
    /// </summary>
    private async Task FetchCommitsAsync(HelperClient client, CancellationToken stop)
    {
        if (_fetcher is null) return;
        try
        {
            if (await _fetcher.FetchIfMovedAsync(client, stop).ConfigureAwait(false) is not { } outcome) return;
            if (outcome.Error is { } error)
            {
                LogFetchFailed(_logger, _session.Value, error.GetType().Name, error);
                Update(s => s with { FetchError = error.Message });
                return;
            }

            LogFetched(_logger, _session.Value, outcome.Commits);
            Update(s => s with { CommitsFetched = s.CommitsFetched + outcome.Commits, FetchError = null });
        }
        catch (Exception e) when (e is not OperationCanceledException || !stop.IsCancellationRequested)
        {
            LogFetchFailed(_logger, _session.Value, e.GetType().Name, e);
        }
    }

    private static string Outcome(ConflictOutcome outcome) => outcome switch
    {
        ConflictOutcome.KeptBoth => "kept-both",
        ConflictOutcome.KeptLocal => "kept-local",
        ConflictOutcome.KeptSession => "kept-session",
        ConflictOutcome.RestoredEdit => "restored-edit",
        ConflictOutcome.LeftAlone => "left-alone",
        _ => "stopped",
    };

    private void Publish(TwoWaySyncRound round)
    {
        Update(s => s with
        {
            Rounds = s.Rounds + 1, Pulled = s.Pulled + round.Pulled, Pushed = s.Pushed + round.Pushed,
            Deleted = s.Deleted + round.DeletedLocal + round.DeletedSession, Conflicts = s.Conflicts + round.Conflicts.Count, LastRound = round,
        });
        _rounds.Writer.TryWrite(round);
    }

    /// <summary>Counts the helper's watch events and wakes the loop; a failed watch wakes it too (the next round then fails and reconnects).</summary>
    private (CancellationTokenSource Cancel, Task Pump) StartSessionWatch(HelperClient client, CancellationToken stop)
    {
        var cancel = CancellationTokenSource.CreateLinkedTokenSource(stop);
        var names = _rules.NamePatterns.Where(n => !n.Contains('*', StringComparison.Ordinal) && !n.Contains('?', StringComparison.Ordinal)).Append(".git").Distinct().ToList();
        var pump = Task.Run(async () =>
        {
            try
            {
                await foreach (var change in client.WatchAsync(names, cancel.Token).ConfigureAwait(false))
                {
                    if (change.Path.Split('/')[^1].StartsWith(".paude-", StringComparison.Ordinal)) continue;
                    lock (_gate)
                    {
                        // Untrusted: a path that is no plain relative path (or too many of them) only means "list everything".
                        if (change.Kind == HelperChangeKind.Overflow || !PathRules.IsSafeRelative(change.Path, _rules.IgnoresCase) || _sessionPaths.Count >= TwoWayApplier.MaxScope) _sessionOverflow = true;
                        else _sessionPaths.Add(change.Path);
                    }

                    Interlocked.Exchange(ref _lastSessionEvent, _time.GetTimestamp());
                    Interlocked.Increment(ref _sessionEvents);
                    _wake.Writer.TryWrite(true);
                }
            }
            catch (Exception e) when (!cancel.IsCancellationRequested)
            {
                LogWatchEnded(_logger, _session.Value, e);
                lock (_gate) { _sessionOverflow = true; }
                Interlocked.Increment(ref _sessionEvents);
                _wake.Writer.TryWrite(true);
            }
            catch (OperationCanceledException)
            {
                // Stopped or replaced.
            }
        }, CancellationToken.None);
        return (cancel, pump);
    }

    private bool Paused()
    {
        lock (_gate) { return _paused; }
    }

    private void Update(Func<TwoWaySyncStatus, TwoWaySyncStatus> change)
    {
        lock (_gate) { _status = change(_status); }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Two-way sync round {Number} ({Trigger}): {Pulled} pulled, {Pushed} pushed, {Deleted} deleted, {Conflicts} conflict(s)")]
    private static partial void LogRound(ILogger logger, int number, string trigger, int pulled, int pushed, int deleted, int conflicts);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Two-way sync round {Number} ({Trigger}) failed ({Error}); reconnecting")]
    private static partial void LogRoundFailed(ILogger logger, int number, string trigger, string error, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Two-way sync of {Session}: reconnecting to the helper failed ({Error})")]
    private static partial void LogReconnectFailed(ILogger logger, string session, string error, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Two-way sync of {Session}: the helper's watch ended")]
    private static partial void LogWatchEnded(ILogger logger, string session, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Two-way sync of {Session}: fetched {Commits} commit(s) onto the session branch")]
    private static partial void LogFetched(ILogger logger, string session, int commits);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Two-way sync of {Session}: fetching the session's commits failed ({Error})")]
    private static partial void LogFetchFailed(ILogger logger, string session, string error, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Two-way sync of {Session}: {Reason}; a restart starts from the previous base")]
    private static partial void LogBaseNotStored(ILogger logger, string session, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Two-way sync {Workspace} <-> {Session}: stopped")]
    private static partial void LogStopped(ILogger logger, string session, string workspace);
}
