using Paude.Sessions;
using Paude.Sync;
using Paude.Tests.Infrastructure;

namespace Paude.Tests;

/// <summary>
/// Random work on both sides (edits, and entries turned into files, folders and links), random sync order, strategies
/// and force: every commit ever made must stay reachable from some local ref (after a final branch pull of each session).
/// </summary>
[Collection(SyncGroup.Name)]
public sealed class RandomizedTests(SyncFixture fixture) : SyncTestBase(fixture)
{
    [Theory]
    [InlineData(20261127)]
    [InlineData(7)]
    public async Task No_commit_is_ever_lost_whatever_the_order_strategy_and_force(int seed)
    {
        var random = new Random(seed);
        var sessions = new List<(SessionName Name, string Ws)>
        {
            (await Fixture.SessionAsync("s1"), NewSessionWorkspace()),
            (await Fixture.SessionAsync("s2"), NewSessionWorkspace()),
        };
        using var local = await LocalRepo.CreateAsync();
        var commits = new List<string> { await local.CommitAsync("a.txt", "0\n", "X") };
        foreach (var (name, ws) in sessions)
        {
            await PushAsync(name, local, ws);
        }

        var log = new List<string>();
        for (var step = 0; step < 16; step++)
        {
            var (name, ws) = sessions[random.Next(sessions.Count)];
            var file = $"{"abc"[random.Next(3)]}.txt";
            var force = random.Next(3) == 0;
            try
            {
                // Every fourth step pulls, so each seed exercises the from-session strategies.
                switch (step % 4 == 3 ? 2 : random.Next(6))
                {
                    case 4:
                        var (entry, kind) = ($"t{random.Next(2)}", random.Next(3));
                        commits.Add(await ChangeTypeLocallyAsync(local, entry, kind, step));
                        log.Add($"local {entry} becomes {Kinds[kind]}");
                        break;
                    case 5:
                        var (sessionEntry, sessionKind) = ($"t{random.Next(2)}", random.Next(3));
                        commits.Add(await ChangeTypeInSessionAsync(name, ws, sessionEntry, sessionKind, step));
                        log.Add($"{name.Value} {sessionEntry} becomes {Kinds[sessionKind]}");
                        break;
                    case 0:
                        commits.Add(await local.CommitAsync(file, $"local {step}\n", $"L{step}"));
                        log.Add($"local commit {file}");
                        break;
                    case 1:
                        commits.Add(await Fixture.CommitAsync(name, ws, file, $"session {step}\n", $"S{step}"));
                        log.Add($"{name.Value} commit {file}");
                        break;
                    case 2:
                        var strategy = (SyncStrategy)random.Next(3);
                        await PullAsync(name, local, ws, strategy, force);
                        log.Add($"pull {name.Value} {strategy} force={force}");
                        break;
                    default:
                        await PushAsync(name, local, ws, force);
                        log.Add($"push {name.Value} force={force}");
                        break;
                }
            }
            catch (Exception ex) when (ex is UnsafeSyncException or SyncConflictException or UnsafeLocalPathException)
            {
                log.Add($"refused: {ex.GetType().Name}");
            }

            // A merge commit made by the sync is a commit too.
            var head = await local.GitAsync("rev-parse", "HEAD");
            if (!commits.Contains(head))
            {
                commits.Add(head);
            }
        }

        foreach (var (name, ws) in sessions)
        {
            await PullAsync(name, local, ws, SyncStrategy.Branch);
        }

        foreach (var commit in commits)
        {
            Assert.True(await local.IsReachableAsync(commit), $"seed {seed}: commit {commit} was lost after: {string.Join(" | ", log)}");
        }

        Assert.True(log.Count(l => l.StartsWith("pull", StringComparison.Ordinal) || l.StartsWith("refused", StringComparison.Ordinal)) >= 4, string.Join(" | ", log));
        Assert.True(log.Count(l => l.Contains(" becomes ", StringComparison.Ordinal)) >= 2, $"seed {seed} made too few type changes: {string.Join(" | ", log)}");
        await local.GitAsync("fsck", "--no-progress", "--strict");
    }

    private static readonly string[] Kinds = ["a file", "a folder", "a link"];

    /// <summary>
    /// Replaces <paramref name="entry"/> with a file, a folder holding a file, or a relative link, committed. The
    /// content or link target names the step, so every such commit has something to commit (an earlier try failed
    /// with "nothing to commit" when the entry already was what the step asked for).
    /// </summary>
    private static async Task<string> ChangeTypeLocallyAsync(LocalRepo local, string entry, int kind, int step)
    {
        var full = Path.Combine(local.Path, entry);
        if (new FileInfo(full).LinkTarget is not null || File.Exists(full))
        {
            File.Delete(full);
        }
        else if (Directory.Exists(full))
        {
            Directory.Delete(full, recursive: true);
        }

        switch (kind)
        {
            case 0:
                local.Write(entry, $"file {step}\n");
                break;
            case 1:
                local.Write($"{entry}/inner.txt", $"folder {step}\n");
                break;
            default:
                File.CreateSymbolicLink(full, $"missing-{step}");
                break;
        }

        await local.GitAsync("add", "-A", "--", entry);
        await local.GitAsync("commit", "-q", "-m", $"T{step}");
        return await local.GitAsync("rev-parse", "HEAD");
    }

    private async Task<string> ChangeTypeInSessionAsync(SessionName name, string ws, string entry, int kind, int step)
    {
        const string Script = """
            cd -- "$1" && rm -rf -- "$2" && case "$3" in
              0) printf 'file %s\n' "$4" > "$2" ;;
              1) mkdir -- "$2" && printf 'folder %s\n' "$4" > "$2/inner.txt" ;;
              *) ln -s -- "missing-$4" "$2" ;;
            esac && git add -A -- "$2" && git -c user.name=session -c user.email=session@example.invalid commit -q -m "T$4" && git rev-parse HEAD
            """;
        return (await Fixture.ExecAsync(name, "bash", "-c", Script, "bash", ws, entry, kind.ToString(System.Globalization.CultureInfo.InvariantCulture), step.ToString(System.Globalization.CultureInfo.InvariantCulture))).Trim();
    }
}
