using Paude.Sessions;
using Paude.Sync;
using Paude.Tests.Infrastructure;

namespace Paude.Tests;

/// <summary>
/// Random work on both sides, random sync order, strategies and force: every commit ever made must stay reachable
/// from some local ref (after a final branch pull of each session).
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
                switch (step % 4 == 3 ? 2 : random.Next(4))
                {
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
            catch (Exception ex) when (ex is UnsafeSyncException or SyncConflictException)
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
        await local.GitAsync("fsck", "--no-progress", "--strict");
    }
}
