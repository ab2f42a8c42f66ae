using Paude.Sync;
using Paude.Sync.Continuous.TwoWay;

namespace Paude.SessionHelper.Tests.Continuous.TwoWay;

/// <summary>
/// The two-way decision (Paude.Sync/Continuous/TwoWay) on seeded random three-way states, applied to model trees:
/// both sides converge, every conflict is reported, nothing is lost to a deletion, and with KeepBoth nothing at all.
/// </summary>
public sealed class TwoWayPlannerTests
{
    private static readonly ContentId A = new("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), B = new("bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"), C = new("cccccccccccccccccccccccccccccccc");

    [Theory]
    [InlineData(ConflictPolicy.KeepBoth)]
    [InlineData(ConflictPolicy.KeepLocal)]
    [InlineData(ConflictPolicy.KeepSession)]
    [InlineData(ConflictPolicy.Stop)]
    public void Random_states_converge_report_every_conflict_and_lose_nothing_to_a_deletion(ConflictPolicy policy)
    {
        int seed = Environment.GetEnvironmentVariable("PAUDE_TWOWAY_SEED") is { } text ? int.Parse(text, System.Globalization.CultureInfo.InvariantCulture) : 1616;
        var random = new Random(seed + (int)policy);
        for (int run = 0; run < 3000; run++)
        {
            var (agreed, local, session) = RandomState(random);
            var plan = TwoWayPlanner.Plan(agreed, local, session, policy);
            var (l, s) = Apply(plan, local, session);
            string context = $"seed {seed}, policy {policy}, run {run}";

            var expectedConflicts = agreed.Keys.Union(local.Keys).Union(session.Keys).Where(p =>
                Get(local, p) != Get(session, p) && Get(local, p) != Get(agreed, p) && Get(session, p) != Get(agreed, p)).Order(StringComparer.Ordinal);
            Assert.True(expectedConflicts.SequenceEqual(plan.Conflicts.Select(c => c.Path)), context + ": conflicts reported");

            if (policy == ConflictPolicy.Stop)
            {
                Assert.Equal(plan.Conflicts.Count > 0, plan.Stop);
                foreach (var c in plan.Conflicts)
                    Assert.Equal((Get(local, c.Path), Get(session, c.Path)), (Get(l, c.Path), Get(s, c.Path)));
                continue;
            }

            Assert.True(l.OrderBy(kv => kv.Key, StringComparer.Ordinal).SequenceEqual(s.OrderBy(kv => kv.Key, StringComparer.Ordinal)), context + ": converged");
            foreach (var c in plan.Conflicts.Where(c => c.Local is null || c.Session is null))
                Assert.Equal(c.Local ?? c.Session, Get(l, c.Path)); // the edit survived the deletion
            if (policy == ConflictPolicy.KeepBoth)
            {
                var edits = local.Where(kv => Get(agreed, kv.Key) != kv.Value).Concat(session.Where(kv => Get(agreed, kv.Key) != kv.Value)).Select(kv => kv.Value);
                Assert.All(edits, id => Assert.Contains(id, l.Values));
            }

            var again = TwoWayPlanner.Plan(l, l, s, policy);
            Assert.True(again.IsEmpty, context + ": a second round has nothing to do");
        }
    }

    [Fact]
    public void One_sided_changes_flow_to_the_other_side()
    {
        var agreed = Map(("same", A), ("pulled", A), ("pushed", A), ("gone-local", A), ("gone-session", A));
        var local = Map(("same", A), ("pulled", A), ("pushed", B), ("gone-session", A), ("new-local", C));
        var session = Map(("same", A), ("pulled", B), ("pushed", A), ("gone-local", A), ("new-session", C));

        var plan = TwoWayPlanner.Plan(agreed, local, session, ConflictPolicy.KeepBoth);

        Assert.Equal([("new-session", "new-session"), ("pulled", "pulled")], plan.Pull);
        Assert.Equal([("new-local", "new-local"), ("pushed", "pushed")], plan.Push);
        Assert.Equal(["gone-session"], plan.DeleteLocal);
        Assert.Equal(["gone-local"], plan.DeleteSession);
        Assert.Empty(plan.Conflicts);
    }

    [Fact]
    public void Keep_both_saves_the_sessions_version_next_to_the_file_with_its_extension()
    {
        var plan = TwoWayPlanner.Plan(Map(("src/app.cs", A)), Map(("src/app.cs", B)), Map(("src/app.cs", C)), ConflictPolicy.KeepBoth);

        var conflict = Assert.Single(plan.Conflicts);
        Assert.Equal(("src/app.conflict-session-cccccccc.cs", ConflictOutcome.KeptBoth), (conflict.CopyPath, conflict.Outcome));
        Assert.Equal([("src/app.cs", "src/app.conflict-session-cccccccc.cs")], plan.Pull);
        Assert.Equal([("src/app.cs", "src/app.cs"), ("src/app.conflict-session-cccccccc.cs", "src/app.conflict-session-cccccccc.cs")], plan.Push);
    }

    [Fact]
    public void A_held_conflict_stays_quiet_until_a_side_changes_and_a_deleted_version_restores_the_other()
    {
        var held = new Dictionary<string, HeldConflict>
        {
            ["quiet"] = new(A, B), ["agreed"] = new(A, B), ["local-deleted"] = new(A, B), ["changed-again"] = new(A, B),
        };
        var local = Map(("quiet", A), ("agreed", C), ("changed-again", A));
        var session = Map(("quiet", B), ("agreed", C), ("local-deleted", B), ("changed-again", C));

        var plan = TwoWayPlanner.Plan(Map(), held, local, session, ConflictPolicy.Stop, direction: null);

        Assert.Equal(["quiet", "changed-again"], plan.Held.Keys.Order(StringComparer.Ordinal).Reverse());
        Assert.Equal([("local-deleted", "local-deleted")], plan.Pull);
        Assert.Empty(plan.Push);
        var again = Assert.Single(plan.Conflicts); // reported again: the session changed it, never settled by overwriting
        Assert.Equal(("changed-again", ConflictOutcome.Stopped), (again.Path, again.Outcome));
        Assert.Equal(new HeldConflict(A, C), plan.Held["changed-again"]);
    }

    [Theory]
    [InlineData(SyncDirection.FromSession)]
    [InlineData(SyncDirection.ToSession)]
    public void One_way_writes_one_side_only_keeps_the_others_base_and_leaves_conflicts_alone(SyncDirection direction)
    {
        var agreed = Map(("pulled", A), ("pushed", A), ("gone-local", A), ("gone-session", A), ("both", A));
        var local = Map(("pulled", A), ("pushed", B), ("gone-session", A), ("both", B));
        var session = Map(("pulled", B), ("pushed", A), ("gone-local", A), ("both", C));

        foreach (var policy in Enum.GetValues<ConflictPolicy>().Where(p => p != ConflictPolicy.Stop))
        {
            var plan = TwoWayPlanner.Plan(agreed, new Dictionary<string, HeldConflict>(), local, session, policy, direction);
            bool pull = direction == SyncDirection.FromSession;
            Assert.Equal(pull ? [("pulled", "pulled")] : [], plan.Pull.Where(p => p.From != "both"));
            Assert.Equal(pull ? [] : [("pushed", "pushed")], plan.Push.Where(p => p.From != "both"));
            Assert.Equal(pull ? ["gone-session"] : [], plan.DeleteLocal);
            Assert.Equal(pull ? [] : ["gone-local"], plan.DeleteSession);
            Assert.Contains(pull ? "pushed" : "pulled", plan.Keep);
            Assert.Contains(pull ? "gone-local" : "gone-session", plan.Keep);
            var conflict = Assert.Single(plan.Conflicts);
            bool settles = (policy, direction) is (ConflictPolicy.KeepSession, SyncDirection.FromSession) or (ConflictPolicy.KeepLocal, SyncDirection.ToSession);
            Assert.Equal(settles ? (pull ? ConflictOutcome.KeptSession : ConflictOutcome.KeptLocal) : ConflictOutcome.LeftAlone, conflict.Outcome);
            Assert.Equal(!settles, plan.Held.ContainsKey("both"));
            Assert.Equal(settles && pull, plan.Pull.Contains(("both", "both")));
            Assert.Equal(settles && !pull, plan.Push.Contains(("both", "both")));
        }
    }

    [Fact]
    public void A_base_kept_in_the_older_place_is_read_and_moved_into_the_sessions_state_folder()
    {
        // The default places (no state folder given): a session name of this test alone, removed at the end.
        var session = "mv" + Guid.NewGuid().ToString("N")[..12];
        var store = TwoWayBaseStore.For("/w", "podman", session, "/pvc/workspace");
        var stateHome = Environment.GetEnvironmentVariable("XDG_STATE_HOME") is { Length: > 0 } home ? home
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "state");
        var sessionFolder = Path.Combine(stateHome, "paude", "sessions", "podman", session);
        var legacy = Path.Combine(stateHome, "paude", "two-way", Path.GetFileName(store.FilePath));
        try
        {
            Assert.Equal(Path.Combine(sessionFolder, "two-way", Path.GetFileName(store.FilePath)), store.FilePath);
            Directory.CreateDirectory(Path.GetDirectoryName(legacy)!);
            File.WriteAllText(legacy, $"{{\"Version\":1,\"Agreed\":{{\"a.txt\":\"{A.Hex}\"}},\"Held\":{{}}}}");

            var read = store.Read(null);
            Assert.Equal(A.Hex, read.Agreed["a.txt"]);
            store.Write(read);

            Assert.False(File.Exists(legacy));
            Assert.Equal(A.Hex, TwoWayBaseStore.For("/w", "podman", session, "/pvc/workspace").Read(null).Agreed["a.txt"]);
        }
        finally
        {
            File.Delete(legacy);
            if (Directory.Exists(sessionFolder)) Directory.Delete(sessionFolder, recursive: true);
        }
    }

    [Fact]
    public void The_stored_base_is_written_atomically_and_a_damaged_or_foreign_one_is_no_base()
    {
        using var dir = new TempFolder();
        var created = DateTimeOffset.Parse("2026-01-02T03:04:05Z", System.Globalization.CultureInfo.InvariantCulture);
        var store = TwoWayBaseStore.For("/w", "podman", "s", "/pvc/workspace", dir.Path);
        store.Write(new TwoWayBase { SessionCreatedAt = created, Agreed = { ["a.txt"] = A.Hex }, Held = { ["h.txt"] = new HeldVersions(B.Hex, null) } });

        Assert.Equal([store.FilePath], Directory.GetFiles(dir.Path)); // no temp file left
        var read = TwoWayBaseStore.For("/w", "podman", "s", "/pvc/workspace", dir.Path).Read(created);
        Assert.Equal(A.Hex, read.Agreed["a.txt"]);
        Assert.Equal(new HeldVersions(B.Hex, null), read.Held["h.txt"]);
        Assert.NotEqual(store.FilePath, TwoWayBaseStore.For("/w", "podman", "s", "/pvc/other", dir.Path).FilePath);

        Assert.Empty(store.Read(created.AddSeconds(1)).Agreed); // a session of the same name created again
        File.WriteAllText(store.FilePath, "{\"Version\":1,\"Agreed\":{\"a.txt\":\"../../not-a-hash\"}}");
        Assert.Empty(store.Read(null).Agreed);
        File.WriteAllText(store.FilePath, "{ torn");
        Assert.Empty(store.Read(created).Agreed);
    }

    private sealed class TempFolder : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("paude-twoway-base-").FullName;

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }

    private static (Dictionary<string, ContentId> Local, Dictionary<string, ContentId> Session) Apply(TwoWayPlan plan, Dictionary<string, ContentId> local, Dictionary<string, ContentId> session)
    {
        var l = new Dictionary<string, ContentId>(local);
        var s = new Dictionary<string, ContentId>(session);
        foreach (var (from, to) in plan.Pull) l[to] = session[from];
        foreach (var (from, to) in plan.Push) s[to] = l[from];
        foreach (var p in plan.DeleteLocal) l.Remove(p);
        foreach (var p in plan.DeleteSession) s.Remove(p);
        return (l, s);
    }

    private static (Dictionary<string, ContentId>, Dictionary<string, ContentId>, Dictionary<string, ContentId>) RandomState(Random random)
    {
        var ids = new[] { A, B, C, new ContentId("dddddddddddddddddddddddddddddddd") };
        var agreed = new Dictionary<string, ContentId>();
        var local = new Dictionary<string, ContentId>();
        var session = new Dictionary<string, ContentId>();
        int files = random.Next(1, 8);
        for (int i = 0; i < files; i++)
        {
            string path = random.Next(3) == 0 ? $"d{i % 2}/f{i}.txt" : $"f{i}";
            // Each side: absent, the agreed content, or another content; the agreed state itself may be absent.
            ContentId? b = random.Next(4) == 0 ? null : ids[random.Next(ids.Length)];
            ContentId? Pick() => random.Next(3) switch { 0 => b, 1 => null, _ => ids[random.Next(ids.Length)] };
            Put(agreed, path, b);
            Put(local, path, Pick());
            Put(session, path, Pick());
        }
        return (agreed, local, session);
    }

    private static void Put(Dictionary<string, ContentId> map, string path, ContentId? id)
    {
        if (id is { } v) map[path] = v;
    }

    private static ContentId? Get(Dictionary<string, ContentId> map, string path) => map.TryGetValue(path, out var v) ? v : null;

    private static Dictionary<string, ContentId> Map(params (string Path, ContentId Id)[] entries) => entries.ToDictionary(e => e.Path, e => e.Id);
}
