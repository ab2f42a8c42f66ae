using Paude.Sync;
using Paude.Sync.Continuous.TwoWay;

namespace Paude.SessionHelper.Tests;

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
