using System.Security.Cryptography;
using System.Text;
using Paude.Sync;
using Paude.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Paude.Tests.Model;

/// <summary>
/// Model test of the two push paths: random uncommitted host change sets (add, modify, delete, rename, file→link,
/// nested folders) against random session states (a folder, a link to a session file or to outside where a file
/// goes, a link to outside or to <c>..</c> or a file in place of a folder on the way, the agent's own edits, new
/// files and deletions), pushed as a dry run, an incremental push (session A) and a full push (session B, same
/// state). The three must report the same, and both sessions must end in the tree <see cref="PushModel"/> predicts,
/// with nothing outside the workspace touched. Seeded: a failure names its seed; PAUDE_PUSH_MODEL_SEED replays one
/// (PAUDE_PUSH_MODEL_CASES runs that many seeds from there, to explore).
/// </summary>
[Collection(SyncGroup.Name)]
public sealed class PushPathsModelTests(SyncFixture fixture, ITestOutputHelper output)
{
    private const int Cases = 12;
    private const int FirstSeed = 1900;

    [Fact]
    public async Task Random_change_sets_push_alike_on_the_dry_run_the_incremental_and_the_full_path()
    {
        var given = int.TryParse(Environment.GetEnvironmentVariable("PAUDE_PUSH_MODEL_SEED"), out var s) ? s : (int?)null;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var outcomes = new Dictionary<string, int>();
        var cases = int.TryParse(Environment.GetEnvironmentVariable("PAUDE_PUSH_MODEL_CASES"), out var c) && c > 0 ? c : given is null ? Cases : 1;
        for (var seed = given ?? FirstSeed; seed < (given ?? FirstSeed) + cases; seed++)
        {
            var scenario = PushScenario.Generate(new Random(seed));
            try
            {
                var outcome = await RunAsync(scenario);
                outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
            }
            catch (Exception e)
            {
                throw new Xunit.Sdk.XunitException($"push model seed {seed} failed (replay: PAUDE_PUSH_MODEL_SEED={seed}):\n{scenario}\n{e}");
            }
        }

        output.WriteLine($"push model: {string.Join(", ", outcomes.Select(o => $"{o.Value} {o.Key}"))}; {clock.Elapsed.TotalSeconds:F0} s");
        Assert.True(outcomes.ContainsKey("pushed with conflicts"), "no case had a conflict: the generator lost its obstacles");
    }

    private async Task<string> RunAsync(PushScenario scenario)
    {
        using var local = await LocalRepo.CreateAsync();
        var twins = await PushPathTwins.CreateAsync(fixture, local, [.. PushScenario.Committed.Select(p => (p, PushScenario.Content(p, 0)))]);
        await twins.InBothAsync(scenario.SessionScript);
        scenario.ApplyLocally(local.Path);
        var outside = await twins.OutsideAsync();
        var lists = await Task.WhenAll(ListAsync(twins.A, twins.WorkspaceA), ListAsync(twins.B, twins.WorkspaceB));
        var before = lists[0];
        Assert.Equal(before, lists[1]);
        var model = PushModel.Predict(before, scenario.Writes(), scenario.Deletes);

        SyncResult? dryResult = null;
        var dry = await Record.ExceptionAsync(async () => dryResult = await twins.PushAsync(twins.A, twins.WorkspaceA, local, dryRun: true));
        if (model.AtRisk.Count > 0)
        {
            foreach (var refusal in new[]
            {
                dry,
                await Record.ExceptionAsync(() => twins.PushAsync(twins.A, twins.WorkspaceA, local)),
                await Record.ExceptionAsync(() => twins.PushAsync(twins.B, twins.WorkspaceB, local)),
            })
            {
                var unsafeSync = Assert.IsType<UnsafeSyncException>(refusal);
                Assert.Equal(model.AtRisk, unsafeSync.PathsAtRisk);
            }

            Assert.Equal(before, await ListAsync(twins.A, twins.WorkspaceA));
            Assert.Equal(before, await ListAsync(twins.B, twins.WorkspaceB));
            Assert.Equal(outside, await twins.OutsideAsync());
            return "refused (session work at risk)";
        }

        Assert.Null(dry);
        var incremental = await twins.PushAsync(twins.A, twins.WorkspaceA, local);
        var full = await twins.PushAsync(twins.B, twins.WorkspaceB, local);
        foreach (var (name, result) in new[] { ("dry run", dryResult!), ("incremental", incremental), ("full", full) })
        {
            Assert.True(model.Written.SequenceEqual(result.FilesChanged), $"{name} wrote [{string.Join(", ", result.FilesChanged)}], the model [{string.Join(", ", model.Written)}]");
            Assert.True(model.Deleted.SequenceEqual(result.FilesDeleted), $"{name} deleted [{string.Join(", ", result.FilesDeleted)}], the model [{string.Join(", ", model.Deleted)}]");
            Assert.True(model.Conflicts.SequenceEqual(result.Conflicts), $"{name} conflicts [{string.Join(", ", result.Conflicts)}], the model [{string.Join(", ", model.Conflicts)}]");
        }

        Assert.Equal(model.After, await ListAsync(twins.A, twins.WorkspaceA));
        Assert.Equal(model.After, await ListAsync(twins.B, twins.WorkspaceB));
        Assert.Equal(outside, await twins.OutsideAsync());
        return model.Conflicts.Count > 0 ? "pushed with conflicts" : "pushed";
    }

    /// <summary>The session's working tree (no .git, no backup folders): <c>f path sha256</c>, <c>d path</c>, <c>l path target</c>.</summary>
    private async Task<IReadOnlyList<string>> ListAsync(Paude.Sessions.SessionName session, string ws)
    {
        const string script = "cd \"$1\" && find . -mindepth 1 \\( -path ./.git -o -name '.paude-*' \\) -prune -o -printf '%y\\t%P\\t%l\\n' | "
            + "while IFS=$'\\t' read -r y p l; do if [ \"$y\" = f ]; then printf 'f %s %s\\n' \"$p\" \"$(sha256sum < \"$p\" | cut -c1-64)\"; "
            + "elif [ \"$y\" = l ]; then printf 'l %s %s\\n' \"$p\" \"$l\"; else printf '%s %s\\n' \"$y\" \"$p\"; fi; done";
        var text = await fixture.ExecAsync(session, "bash", "-c", script, "bash", ws);
        return [.. text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal)];
    }
}

/// <summary>One generated case: what the host changes (uncommitted) and what the agent did in the session.</summary>
internal sealed class PushScenario
{
    /// <summary>The pushed commit's files (keep.txt is a link target, never changed).</summary>
    public static readonly string[] Committed = ["f0.txt", "f1.txt", "d/f2.txt", "d/f3.txt", "d/sub/f5.txt", "e/f4.txt", "keep.txt"];

    private static readonly string[] Fresh = ["n0.txt", "d/n1.txt", "g/h/n2.txt", "e/n3.txt", "d/sub/n4.txt"];
    private static readonly string[] Folders = ["d", "d/sub", "e", "g"];

    private readonly List<string> _steps = [];
    private readonly StringBuilder _session = new("true");
    private readonly Dictionary<string, string> _hostWrites = new(StringComparer.Ordinal);
    private readonly List<string> _hostLinks = [];

    public List<string> Deletes { get; } = [];

    public string SessionScript => _session.ToString();

    public static string Content(string path, int version) => $"{path} v{version}\n";

    public static PushScenario Generate(Random random)
    {
        var s = new PushScenario();
        var blocked = new HashSet<string>(StringComparer.Ordinal);

        // The agent: at most one folder replaced by an obstacle (everything under it follows), then per-file states.
        if (random.Next(3) == 0)
        {
            var folder = Folders[random.Next(Folders.Length)];
            var how = random.Next(3);
            s.Agent($"folder {folder}: {(how == 0 ? "link to outside" : how == 1 ? "link to .." : "a file")}",
                $"rm -rf {folder} && mkdir -p $(dirname {folder}) && " + (how == 0 ? $"ln -s \"$1\" {folder}" : how == 1 ? $"ln -s .. {folder}" : $"printf own > {folder}"));
            blocked.UnionWith(Committed.Concat(Fresh).Where(p => p.StartsWith(folder + "/", StringComparison.Ordinal)));
        }

        foreach (var path in Committed.Concat(Fresh).Where(p => p != "keep.txt" && !blocked.Contains(p)))
        {
            var committed = Committed.Contains(path);
            switch (random.Next(committed ? 14 : 12))
            {
                case 0: s.Agent($"{path}: a folder", $"rm -f {path} && mkdir -p {path} && printf own > {path}/own.txt"); break;
                case 1: s.Agent($"{path}: link to keep.txt", $"rm -f {path} && mkdir -p $(dirname {path}) && ln -s \"$(realpath --relative-to=$(dirname {path}) keep.txt)\" {path}"); break;
                case 2: s.Agent($"{path}: link to outside", $"rm -f {path} && mkdir -p $(dirname {path}) && ln -s \"$1/target\" {path}"); break;
                case 3 when committed: s.Agent($"{path}: deleted by the agent", $"rm -f {path}"); break;
                case 4 when committed: s.Agent($"{path}: an empty folder", $"rm -f {path} && mkdir {path}"); break;
            }
        }

        // The agent's own edit (a whole push refused when the host writes or deletes it): one path, in one case of four.
        if (random.Next(4) == 0 && Committed.Concat(Fresh).Where(p => p != "keep.txt" && !blocked.Contains(p)).ToList() is { Count: > 0 } open)
        {
            var path = open[random.Next(open.Count)];
            s.Agent($"{path}: the agent's own content", $"rm -rf {path} && mkdir -p $(dirname {path}) && printf 'agent\\n' > {path}");
        }

        // The host.
        var fresh = new Queue<string>(Fresh.OrderBy(_ => random.Next()));
        foreach (var path in Committed.Where(p => p != "keep.txt"))
        {
            switch (random.Next(6))
            {
                case 1: s.Host($"modify {path}"); s._hostWrites[path] = Content(path, 1); break;
                case 2: s.Host($"delete {path}"); s.Deletes.Add(path); break;
                case 3 when fresh.Count > 0:
                    var to = fresh.Dequeue();
                    s.Host($"rename {path} -> {to}");
                    s.Deletes.Add(path);
                    s._hostWrites[to] = Content(path, 0);
                    break;
                case 4: s.Host($"{path} becomes a link"); s._hostLinks.Add(path); break;
            }
        }

        foreach (var path in fresh.Where(_ => random.Next(2) == 0))
        {
            s.Host($"add {path}");
            s._hostWrites[path] = Content(path, 2);
        }

        return s;
    }

    /// <summary>The host's writes: path → SHA-256 of the content.</summary>
    public Dictionary<string, string> Writes() =>
        _hostWrites.ToDictionary(w => w.Key, w => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(w.Value))), StringComparer.Ordinal);

    public void ApplyLocally(string workspace)
    {
        foreach (var path in Deletes.Concat(_hostLinks))
        {
            File.Delete(Path.Combine(workspace, path));
        }

        foreach (var path in _hostLinks)
        {
            File.CreateSymbolicLink(Path.Combine(workspace, path), "/etc/hostname");
        }

        foreach (var (path, content) in _hostWrites)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(workspace, path))!);
            File.WriteAllText(Path.Combine(workspace, path), content);
        }
    }

    public override string ToString() => "  " + string.Join("\n  ", _steps);

    private void Agent(string what, string script)
    {
        _steps.Add("session: " + what);
        _session.Append(" && ").Append(script);
    }

    private void Host(string what) => _steps.Add("host: " + what);
}

/// <summary>
/// The rule both push paths must follow, written independently of them, applied to the session tree before the push
/// (<c>f path sha256</c>, <c>d path</c>, <c>l path target</c> lines):
/// <list type="bullet">
/// <item>A write behind a link or a file among its leading folders, or onto a link, or onto a folder holding anything
/// but files the push deletes, is a conflict: left alone, the rest pushed.</item>
/// <item>A write onto a file that holds neither the pushed commit's content nor the new content is session work at
/// risk; a deletion of a link, or of a file that holds other than the commit's content, too. Any risk refuses the whole
/// push, nothing changed.</item>
/// <item>A deletion where the session holds nothing, a folder, or a link or file on the way deletes nothing and is not
/// reported. A write where it holds nothing or an empty folder is written.</item>
/// </list>
/// </summary>
internal sealed record PushModel(List<string> Written, List<string> Deleted, List<string> Conflicts, List<string> AtRisk, List<string> After)
{
    public static PushModel Predict(IReadOnlyList<string> before, Dictionary<string, string> writes, List<string> deletes)
    {
        var tree = before.Select(l => l.Split(' ', 3)).ToDictionary(p => p[1], p => (Kind: p[0], Value: p.Length > 2 ? p[2] : string.Empty), StringComparer.Ordinal);
        var committed = PushScenario.Committed.ToDictionary(p => p, p => Hash(PushScenario.Content(p, 0)), StringComparer.Ordinal);
        var deleting = deletes.ToHashSet(StringComparer.Ordinal);
        List<string> written = [], deleted = [], conflicts = [], risk = [];
        foreach (var (path, hash) in writes.OrderBy(w => w.Key, StringComparer.Ordinal))
        {
            var at = tree.TryGetValue(path, out var e) ? e.Kind : null;
            var ownedFolder = at == "d" && tree.Where(t => t.Key.StartsWith(path + "/", StringComparison.Ordinal)).All(t => t.Value.Kind == "d" || (t.Value.Kind == "f" && deleting.Contains(t.Key)));
            if (Leading(tree, path) is "l" or "f" || at == "l" || (at == "d" && !ownedFolder))
            {
                conflicts.Add(path);
            }
            else if (at == "f" && e.Value != committed.GetValueOrDefault(path) && e.Value != hash)
            {
                risk.Add(path);
            }
            else
            {
                written.Add(path);
            }
        }

        foreach (var path in deletes.Order(StringComparer.Ordinal))
        {
            var at = tree.TryGetValue(path, out var e) ? e.Kind : null;
            if (Leading(tree, path) is not null || at is null or "d")
            {
                continue;
            }

            if (at == "l" || e.Value != committed[path])
            {
                risk.Add(path);
            }
            else
            {
                deleted.Add(path);
            }
        }

        risk.Sort(StringComparer.Ordinal);
        foreach (var path in deleted)
        {
            tree.Remove(path);
        }

        foreach (var path in written)
        {
            foreach (var inside in tree.Keys.Where(k => k.StartsWith(path + "/", StringComparison.Ordinal)).ToList())
            {
                tree.Remove(inside);
            }

            for (var cut = path.IndexOf('/', StringComparison.Ordinal); cut > 0; cut = path.IndexOf('/', cut + 1))
            {
                tree[path[..cut]] = ("d", string.Empty);
            }

            tree[path] = ("f", writes[path]);
        }

        var after = tree.Select(t => t.Value.Kind == "d" ? $"d {t.Key}" : $"{t.Value.Kind} {t.Key} {t.Value.Value}").Order(StringComparer.Ordinal).ToList();
        return new PushModel(written, deleted, conflicts, risk, after);
    }

    /// <summary>The kind of the first leading folder that is not a folder: <c>l</c>, <c>f</c>, <c>-</c> (missing), or null.</summary>
    private static string? Leading(Dictionary<string, (string Kind, string Value)> tree, string path)
    {
        for (var cut = path.IndexOf('/', StringComparison.Ordinal); cut > 0; cut = path.IndexOf('/', cut + 1))
        {
            var kind = tree.TryGetValue(path[..cut], out var e) ? e.Kind : "-";
            if (kind != "d")
            {
                return kind;
            }
        }

        return null;
    }

    private static string Hash(string content) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(content)));
}
