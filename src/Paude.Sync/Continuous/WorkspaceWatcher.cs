using System.Collections.Concurrent;
using System.Threading.Channels;
using Paude.Sync.Files;

namespace Paude.Sync.Continuous;

/// <summary>
/// Turns file-system events under a workspace into a wake-up signal for the sync loop, with the paths that changed.
/// Events are only a hint: every round scans and compares the whole workspace, so a lost or duplicated event costs at
/// most a round, never correctness. Events are known to get lost — inotify drops them when its queue overflows
/// (reported by <see cref="Take"/>), a folder created and filled quickly can have files written before its
/// own watch exists, and watches may be unavailable altogether (<c>max_user_watches</c>) — which is why the loop also
/// rescans periodically (<see cref="LocalSnapshot"/>).
/// </summary>
internal sealed class WorkspaceWatcher : IDisposable
{
    /// <summary>More distinct paths than this in one round: stop collecting them and treat the round as "anything".</summary>
    private const int MaxPaths = 10_000;

    private readonly string _root;
    private readonly PathRules _rules;
    private readonly bool _watchGitRefs;
    private readonly TimeProvider _time;
    private readonly FileSystemWatcher? _watcher;
    private readonly Channel<bool> _signal = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private ConcurrentDictionary<string, byte> _paths = new(StringComparer.Ordinal);
    private long _lastEvent;
    private int _events;
    private int _overflowed;

    public WorkspaceWatcher(string root, PathRules rules, bool watchGitRefs, TimeProvider time, bool enabled = true)
    {
        _root = root;
        _rules = rules;
        _watchGitRefs = watchGitRefs;
        _time = time;
        if (!enabled)
        {
            Unavailable = "file-system events are turned off";
            return;
        }

        try
        {
            _watcher = new FileSystemWatcher(root)
            {
                IncludeSubdirectories = true,
                InternalBufferSize = 64 * 1024,
                NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.Attributes,
            };
            _watcher.Changed += OnChanged;
            _watcher.Created += OnChanged;
            _watcher.Deleted += OnChanged;
            _watcher.Renamed += OnRenamed;
            _watcher.Error += OnError;
            _watcher.EnableRaisingEvents = true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            // No watches to be had (e.g. the inotify watch limit is reached): the periodic rescan alone keeps the sync going.
            _watcher?.Dispose();
            _watcher = null;
            Unavailable = e.Message;
        }
    }

    /// <summary>Why events are unavailable (only the rescan works), or <c>null</c> when they are on.</summary>
    public string? Unavailable { get; }

    /// <summary>The timestamp (<see cref="TimeProvider.GetTimestamp"/>) of the latest relevant event.</summary>
    public long LastEvent => Interlocked.Read(ref _lastEvent);

    /// <summary>Waits for a relevant event; <c>false</c> when <paramref name="timeout"/> passed first.</summary>
    public async Task<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (_signal.Reader.TryPeek(out _))
        {
            return true;
        }

        using var timer = new CancellationTokenSource(timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timer.Token, cancellationToken);
        try
        {
            return await _signal.Reader.WaitToReadAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>
    /// Takes what happened since the last call: the event count, the changed paths (<c>null</c> when there were too
    /// many to list or events were lost) and whether events were lost. Events after this call wake the next wait.
    /// </summary>
    public (int Events, IReadOnlyCollection<string>? Paths, bool Overflowed) Take()
    {
        _signal.Reader.TryRead(out _);
        var paths = Interlocked.Exchange(ref _paths, new ConcurrentDictionary<string, byte>(StringComparer.Ordinal));
        var overflowed = Interlocked.Exchange(ref _overflowed, 0) == 1;
        var events = Interlocked.Exchange(ref _events, 0);
        return (events, overflowed || paths.Count >= MaxPaths ? null : paths.Keys.ToList(), overflowed);
    }

    public void Dispose()
    {
        if (_watcher is not null)
        {
            _watcher.EnableRaisingEvents = false;
            _watcher.Dispose();
        }

        _signal.Writer.TryComplete();
    }

    /// <summary>
    /// Whether a change to <paramref name="relative"/> can matter to a push: not excluded (the same rules as the push;
    /// <c>.gitignore</c> is applied later, on the loop, where a repository can be opened), and inside <c>.git</c> only
    /// the branch refs, when commits are pushed. The sync's own manifest and staging folders never count, or every
    /// round would trigger the next.
    /// </summary>
    internal static bool IsRelevant(string relative, PathRules rules, bool watchGitRefs)
    {
        if (relative == ".git" || relative.StartsWith(".git/", StringComparison.Ordinal))
        {
            return watchGitRefs && (relative is ".git/HEAD" or ".git/packed-refs" || relative.StartsWith(".git/refs/heads/", StringComparison.Ordinal))
                && !relative.EndsWith(".lock", StringComparison.Ordinal);
        }

        return relative.Length > 0 && !rules.IsExcluded(relative);
    }

    private void OnChanged(object sender, FileSystemEventArgs e) => Record(e.FullPath);

    private void OnRenamed(object sender, RenamedEventArgs e)
    {
        Record(e.OldFullPath);
        Record(e.FullPath);
    }

    private void OnError(object sender, ErrorEventArgs e)
    {
        // Typically InternalBufferOverflowException: events were dropped, so the next round must not trust the path list.
        Interlocked.Exchange(ref _overflowed, 1);
        Signal();
    }

    private void Record(string fullPath)
    {
        var relative = Path.GetRelativePath(_root, fullPath).Replace(Path.DirectorySeparatorChar, '/');
        if (!IsRelevant(relative, _rules, _watchGitRefs))
        {
            return;
        }

        var paths = _paths;
        if (paths.Count < MaxPaths)
        {
            paths.TryAdd(relative, 0);
        }

        Interlocked.Increment(ref _events);
        Signal();
    }

    private void Signal()
    {
        Interlocked.Exchange(ref _lastEvent, _time.GetTimestamp());
        _signal.Writer.TryWrite(true);
    }
}
