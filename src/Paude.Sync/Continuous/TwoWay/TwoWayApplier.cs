using Paude.Errors;
using Paude.Sync.Continuous.Helper;
using Paude.Sync.Files;

namespace Paude.Sync.Continuous.TwoWay;

/// <summary>What one two-way round did.</summary>
/// <remarks><see cref="Deferred"/>: paths whose step failed this round (why, in <see cref="Reasons"/>); decided again next round.</remarks>
internal sealed record TwoWayRoundResult(int Pulled, int Pushed, int DeletedLocal, int DeletedSession, IReadOnlyList<TwoWayConflict> Conflicts, IReadOnlyList<string> Deferred, bool Stopped)
{
    public IReadOnlyList<string> Reasons { get; init; } = [];
}

/// <summary>
/// Runs two-way rounds over a session helper: lists both sides, plans (<see cref="TwoWayPlanner"/>), applies, and keeps
/// the last agreed content per file between rounds (so a settled conflict is never reported again). Every step is
/// conditional on the content the plan saw — session writes and deletes with the helper's if-match/if-absent, local
/// ones after re-hashing — so a change made during the round is deferred to the next round, never overwritten. Local
/// writes go to a temporary file renamed into place, after the sync-safety checks of <see cref="WorkspacePath"/> (no
/// link on the way, no folder replaced).
/// </summary>
internal sealed class TwoWayApplier
{
    public const string TempPrefix = ".paude-pull-";
    private readonly string root;
    private readonly PathRules rules;
    private readonly ConflictPolicy policy;
    private readonly long maxFileBytes;
    private readonly SyncDirection? direction;
    private readonly TwoWayBaseStore? store;
    private readonly DateTimeOffset? sessionCreatedAt;
    private HelperClient helper;
    private Dictionary<string, ContentId> _agreed = new(StringComparer.Ordinal);
    private Dictionary<string, HeldConflict> _held = new(StringComparer.Ordinal);

    /// <param name="helper">The helper connection.</param>
    /// <param name="root">The local workspace.</param>
    /// <param name="rules">Excludes.</param>
    /// <param name="policy">The conflict policy.</param>
    /// <param name="maxFileBytes">The largest file pulled.</param>
    /// <param name="direction">One-way (<c>null</c>: both ways).</param>
    /// <param name="store">Where the base of the previous run is read from and each round's is written to; <c>null</c>: kept in memory only.</param>
    /// <param name="sessionCreatedAt">The session's creation time: a stored base of an older session of that name is not used.</param>
    public TwoWayApplier(HelperClient helper, string root, PathRules rules, ConflictPolicy policy, long maxFileBytes = 1L << 30,
        SyncDirection? direction = null, TwoWayBaseStore? store = null, DateTimeOffset? sessionCreatedAt = null)
    {
        this.helper = helper;
        this.root = root;
        this.rules = rules;
        this.policy = policy;
        this.maxFileBytes = maxFileBytes;
        this.direction = direction;
        this.store = store;
        this.sessionCreatedAt = sessionCreatedAt;
        if (store?.Read(sessionCreatedAt) is { } stored)
        {
            foreach (var (path, hex) in stored.Agreed) _agreed[path] = new ContentId(hex);
            foreach (var (path, v) in stored.Held) _held[path] = new HeldConflict(Id(v.Local), Id(v.Session));
        }
    }

    /// <summary>
    /// Continues on a new helper connection after the old one failed (helper killed, pod re-created): the agreed state
    /// is kept, so the next round transfers only what changed, not everything again.
    /// </summary>
    public void Reconnected(HelperClient client) => helper = client;

    /// <summary>The most paths a scoped round lists one by one; more, and the whole tree is listed.</summary>
    public const int MaxScope = 256;

    public Task<TwoWayRoundResult> RunAsync(CancellationToken cancellationToken) => RunAsync(null, cancellationToken);

    /// <summary>
    /// Runs one round. With a <paramref name="scope"/> (the paths the watches reported, as relative paths; a folder
    /// stands for everything under it) only those are listed, decided and applied on both sides — an edit costs a
    /// listing of one file, not of the tree. Without one (or when the scope is too large, holds a path that is not a
    /// plain relative path or a <c>.gitignore</c>, or its plan meets a conflict) the whole tree is.
    /// </summary>
    public async Task<TwoWayRoundResult> RunAsync(IReadOnlyCollection<string>? scope, CancellationToken cancellationToken)
    {
        if (scope is not null && (scope.Count > MaxScope || scope.Any(p => !PathRules.IsSafeRelative(p, rules.IgnoresCase) || p.Split('/')[^1] == ".gitignore")))
        {
            scope = null;
        }

        if (scope is { Count: 0 })
        {
            return new TwoWayRoundResult(0, 0, 0, 0, [], [], Stopped: false);
        }

        var names = rules.NamePatterns.Where(n => !n.Contains('*', StringComparison.Ordinal) && !n.Contains('?', StringComparison.Ordinal)).Append(".git").Distinct().ToList();
        var local = scope is null ? LocalFiles.List(root, rules, cancellationToken) : LocalFiles.ListScoped(root, rules, scope, cancellationToken);
        var entries = await helper.ListAsync(scope ?? [""], names, hash: true, cancellationToken).ConfigureAwait(false);
        // The local .gitignore files (nested ones too) apply to the session's side as well: a file the local listing
        // ignores must not be pulled either, or the next round would see it "deleted locally" and delete it in the session.
        var session = new Dictionary<string, ContentId>(StringComparer.Ordinal);
        using (var repo = LocalFiles.OpenRepository(root))
        {
            foreach (var e in entries)
            {
                if (e.Kind == HelperEntryKind.File && !rules.IsExcluded(e.Path) && !e.Path.Split('/')[^1].StartsWith(".paude-", StringComparison.Ordinal)
                    && !LocalFiles.IsGitIgnored(repo, e.Path) && (scope is null || InScope(scope, e.Path)))
                {
                    session[e.Path] = LocalFiles.Id(e.Hash!);
                }
            }
        }

        var agreedView = scope is null ? _agreed : _agreed.Where(kv => InScope(scope, kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        var heldView = scope is null ? _held : _held.Where(kv => InScope(scope, kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        var plan = TwoWayPlanner.Plan(agreedView, heldView, local, session, policy, direction);
        if (scope is not null && plan.Conflicts.Count > 0)
        {
            // A conflict is settled with the whole tree in view (a conflict copy's name must not meet another file).
            return await RunAsync(null, cancellationToken).ConfigureAwait(false);
        }

        // Outside a scope, everything stays as it was; inside it, this round decides.
        var agreed = scope is null ? new Dictionary<string, ContentId>(StringComparer.Ordinal)
            : _agreed.Where(kv => !InScope(scope, kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        var held = scope is null ? plan.Held : _held.Where(kv => !InScope(scope, kv.Key)).Concat(plan.Held).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        foreach (var (path, id) in local)
            if (session.TryGetValue(path, out var s) && s == id) agreed[path] = id;
        var deferred = new List<string>();
        if (plan.Stop)
        {
            // Nothing changes; the stopped conflicts stay open (held: not reported again, also after a restart).
            _held = held;
            return new TwoWayRoundResult(0, 0, 0, 0, plan.Conflicts, deferred, Stopped: true);
        }

        int pulled = 0, pushed = 0, deletedLocal = 0, deletedSession = 0;
        foreach (var (from, to) in plan.Pull)
        {
            if (await TryStepAsync(() => PullAsync(from, to, session[from], Get(local, to), cancellationToken), to, deferred).ConfigureAwait(false))
            {
                agreed[to] = session[from];
                local[to] = session[from];
                pulled++;
            }
        }

        foreach (var (from, to) in plan.Push)
        {
            ContentId? written = null;
            if (await TryStepAsync(async () => written = await PushAsync(from, to, Get(session, to), cancellationToken).ConfigureAwait(false), to, deferred).ConfigureAwait(false))
            {
                agreed[to] = written!.Value;
                pushed++;
            }
        }

        foreach (var path in plan.DeleteSession)
        {
            if (await TryStepAsync(() => helper.DeleteAsync(path, recursive: false, Convert.FromHexString(session[path].Hex), cancellationToken), path, deferred).ConfigureAwait(false))
                deletedSession++;
        }

        foreach (var path in plan.DeleteLocal)
        {
            if (await TryStepAsync(() => { DeleteLocal(path, local[path]); return Task.CompletedTask; }, path, deferred).ConfigureAwait(false))
                deletedLocal++;
        }

        // A deferred path keeps its old agreement, so the next round decides it again from fresh listings; so does a
        // path not decided (one-way, or a conflict held open).
        foreach (var path in deferred.Concat(plan.Keep))
        {
            if (_agreed.TryGetValue(path, out var old)) agreed[path] = old;
            else agreed.Remove(path);
        }

        _agreed = agreed;
        _held = held;
        var reasons = _reasons.ToList();
        _reasons.Clear();
        return new TwoWayRoundResult(pulled, pushed, deletedLocal, deletedSession, plan.Conflicts, deferred, Stopped: false) { Reasons = reasons };
    }

    private readonly List<string> _reasons = [];

    /// <summary>Whether <paramref name="path"/> is one of the scope's paths or under one of them.</summary>
    private static bool InScope(IReadOnlyCollection<string> scope, string path)
    {
        foreach (var s in scope)
        {
            if (path.Length == s.Length ? path == s : path.Length > s.Length && path[s.Length] == '/' && path.StartsWith(s, StringComparison.Ordinal)) return true;
        }

        return false;
    }

    /// <summary>
    /// Stores the base (atomically) for the next run, after each round — called once the round is reported, so the disk
    /// flush is not part of the edit's latency (a crash in between leaves the previous base: safe, see
    /// <see cref="TwoWayBaseStore"/>). Failing to store it costs only that; returns why, or <c>null</c>.
    /// </summary>
    public string? Persist()
    {
        try
        {
            store?.Write(new TwoWayBase
            {
                SessionCreatedAt = sessionCreatedAt,
                Agreed = _agreed.ToDictionary(kv => kv.Key, kv => kv.Value.Hex, StringComparer.Ordinal),
                Held = _held.ToDictionary(kv => kv.Key, kv => new HeldVersions(kv.Value.Local?.Hex, kv.Value.Session?.Hex), StringComparer.Ordinal),
            });
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The round itself succeeded; a restart then starts from the older base (safe: differences become conflicts).
            return $"the sync base could not be stored in {store!.FilePath}: {e.Message}";
        }
    }

    private static ContentId? Id(string? hex) => hex is null ? null : new ContentId(hex);

    private async Task<bool> TryStepAsync(Func<Task> step, string path, List<string> deferred)
    {
        try
        {
            await step().ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is HelperOperationException or IOException or UnsafeLocalPathException or ChangedDuringRoundException)
        {
            deferred.Add(path);
            _reasons.Add($"{path}: {e.Message}");
            return false;
        }
    }

    private async Task PullAsync(string from, string to, ContentId expected, ContentId? localSeen, CancellationToken cancellationToken)
    {
        string full = LocalPath(to);
        string dir = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(dir);
        WorkspacePath.EnsureNoLinkOnTheWay(root, to);
        string temp = Path.Combine(dir, TempPrefix + Guid.NewGuid().ToString("N")[..12]);
        try
        {
            HelperFileInfo info;
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                info = await helper.ReadAsync(from, file, maxFileBytes, cancellationToken).ConfigureAwait(false);
            }

            if (LocalFiles.Id(info.Hash) != expected) throw new ChangedDuringRoundException(from);
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(temp, (UnixFileMode)(info.Mode & 0x1FF));
            // Right before the rename: still no link on the way, no folder at the target, the local file as planned.
            WorkspacePath.EnsureNoLinkOnTheWay(root, to);
            var kind = WorkspacePath.KindOf(full);
            if (kind is not (WorkspacePath.Kind.None or WorkspacePath.Kind.File)) throw new ChangedDuringRoundException(to);
            ContentId? now = kind == WorkspacePath.Kind.File ? LocalFiles.Hash(full) : null;
            if (now != localSeen) throw new ChangedDuringRoundException(to);
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    private async Task<ContentId> PushAsync(string from, string to, ContentId? sessionSeen, CancellationToken cancellationToken)
    {
        string full = LocalPath(from);
        WorkspacePath.EnsureNoLinkOnTheWay(root, from);
        if (WorkspacePath.KindOf(full) != WorkspacePath.Kind.File) throw new ChangedDuringRoundException(from);
        await using var file = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var options = new HelperWriteOptions
        {
            IfAbsent = sessionSeen is null,
            IfMatch = sessionSeen is { } s ? Convert.FromHexString(s.Hex) : null,
            Mode = OperatingSystem.IsWindows() ? 0x1A4 : (int)File.GetUnixFileMode(full) & 0x1FF,
        };
        var hash = await helper.WriteAsync(to, file, file.Length, options, cancellationToken).ConfigureAwait(false);
        return LocalFiles.Id(hash);
    }

    private void DeleteLocal(string path, ContentId expected)
    {
        string full = LocalPath(path);
        WorkspacePath.EnsureNoLinkOnTheWay(root, path);
        if (WorkspacePath.KindOf(full) != WorkspacePath.Kind.File || LocalFiles.Hash(full) != expected) throw new ChangedDuringRoundException(path);
        File.Delete(full);
    }

    private string LocalPath(string relative) =>
        PathRules.IsSafeRelative(relative, rules.IgnoresCase) ? Path.Combine(root, relative) : throw new UnsafeContentException(relative, "is not a plain relative path inside the workspace");

    private static ContentId? Get(Dictionary<string, ContentId> map, string path) => map.TryGetValue(path, out var v) ? v : null;

    /// <summary>A file changed between the listing and its step: the step is deferred to the next round.</summary>
    private sealed class ChangedDuringRoundException(string path) : Exception($"{path} changed during the round");
}
