using System.Text;
using Paude.Tests.Infrastructure;

namespace Paude.Tests;

/// <summary>
/// The first push of a packed repository copies stored pack entries (whole objects and deltas) instead of inflating
/// and deflating every object — but never a delta whose base the session must not get.
/// </summary>
[Collection(SyncGroupB.Name)]
public sealed class FirstPushPackReuseTests(SyncFixture fixture) : SyncTestBase(fixture)
{
    [Fact]
    public async Task A_branch_object_stored_as_a_delta_on_a_private_object_travels_whole_and_the_private_base_never_does()
    {
        var session = await Fixture.SessionAsync("s3");
        var ws = NewSessionWorkspace();
        using var local = await LocalRepo.CreateAsync();
        var secret = Lines("secret", 400);
        await local.CommitAsync("README.md", "r\n", "X");
        await local.GitAsync("checkout", "-q", "-b", "private");
        await local.CommitAsync("big.txt", secret, "the private, larger version");
        await local.GitAsync("checkout", "-q", "main");
        var shared = secret[..secret.IndexOf("secret 300", StringComparison.Ordinal)];
        var head = await local.CommitAsync("big.txt", shared, "the branch's smaller version");
        await local.GitAsync("repack", "-a", "-d", "-f", "-q", "--window=50");
        await local.GitAsync("prune-packed");

        // What the test is about: the repository stores the branch's blob as a delta on the private one.
        var privateBlob = await local.GitAsync("rev-parse", "private:big.txt");
        var branchBlob = await local.GitAsync("rev-parse", "main:big.txt");
        Assert.Equal(privateBlob, DeltaBases(await VerifyPackAsync(local))[branchBlob]);

        await PushAsync(session, local, ws);

        Assert.Equal(head, (await Fixture.GitAsync(session, ws, "rev-parse", "HEAD")).Trim());
        await Fixture.GitAsync(session, ws, "fsck", "--strict", "--no-dangling");
        Assert.Equal(shared, await Fixture.ExecAsync(session, "cat", ws + "/big.txt"));
        var found = await Podman.RunAsync(["exec", SyncFixture.Container(session), "git", "-C", ws, "cat-file", "-e", privateBlob]);
        Assert.True(found.ExitCode != 0, $"the private object {privateBlob} reached the session");
    }

    [Fact]
    public async Task Deltas_between_the_branch_objects_travel_as_they_are_stored_and_the_session_repository_verifies()
    {
        var session = await Fixture.SessionAsync("s3");
        var ws = NewSessionWorkspace();
        using var local = await LocalRepo.CreateAsync();
        var first = Lines("line", 400);
        await local.CommitAsync("big.txt", first, "v1");
        var second = first.Replace("line 200:", "line 200, changed:", StringComparison.Ordinal);
        var head = await local.CommitAsync("big.txt", second, "v2");
        await local.GitAsync("repack", "-a", "-d", "-f", "-q", "--window=50");
        await local.GitAsync("prune-packed");
        var localDeltas = DeltaBases(await VerifyPackAsync(local));
        Assert.NotEmpty(localDeltas);

        await PushAsync(session, local, ws);

        Assert.Equal(head, (await Fixture.GitAsync(session, ws, "rev-parse", "HEAD")).Trim());
        await Fixture.GitAsync(session, ws, "fsck", "--strict", "--no-dangling");
        Assert.Equal(second, await Fixture.ExecAsync(session, "cat", ws + "/big.txt"));
        Assert.Equal(first, (await Fixture.GitAsync(session, ws, "show", "HEAD~1:big.txt")));

        // The pushed pack holds the same deltas the local pack stores (copied, not recomputed or expanded).
        var pushed = await Fixture.ExecAsync(session, "bash", "-c", "git -C \"$1\" verify-pack -v \"$1\"/.git/objects/pack/*.idx", "bash", ws);
        Assert.Equal(localDeltas.OrderBy(p => p.Key).ToList(), DeltaBases(pushed).OrderBy(p => p.Key).ToList());
    }

    private static string Lines(string word, int count)
    {
        var text = new StringBuilder();
        for (var i = 0; i < count; i++)
        {
            text.Append(word).Append(' ').Append(i).Append(": the same long line content to make a delta worth its while\n");
        }

        return text.ToString();
    }

    private static Task<string> VerifyPackAsync(LocalRepo local) =>
        local.GitAsync("verify-pack", "-v", Directory.GetFiles(Path.Combine(local.Path, ".git", "objects", "pack"), "*.idx").Single());

    /// <summary>Object → delta base, from <c>git verify-pack -v</c> lines (<c>sha type size packed offset depth base</c>).</summary>
    private static Dictionary<string, string> DeltaBases(string verifyPack) =>
        verifyPack.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length == 7 && f[0].Length == 40)
            .ToDictionary(f => f[0], f => f[6], StringComparer.Ordinal);
}
