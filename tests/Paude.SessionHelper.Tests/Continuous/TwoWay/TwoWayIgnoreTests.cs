using Paude.Sync;

namespace Paude.SessionHelper.Tests.Continuous.TwoWay;

/// <summary>
/// What two-way sync leaves alone, in both directions, on a real Podman session: the workspace's <c>.gitignore</c>
/// (and a nested one), the default excludes and the user's excludes. An ignored file in the session is neither pulled
/// nor — the failure this guards against — pulled, missed by the next local listing and then deleted in the session.
/// </summary>
[Collection(PodmanHelperGroup.Name)]
public sealed class TwoWayIgnoreTests(PodmanHelperFixture fixture)
{
    [Fact]
    public async Task Gitignored_default_and_user_excluded_files_travel_in_neither_direction_and_are_never_deleted()
    {
        using var local = await LocalRepo.CreateAsync();
        local.Write(".gitignore", "*.log\nout/\n");
        local.Write("sub/.gitignore", "secret.txt\n");
        local.Write("keep-local.txt", "local");
        local.Write("local.log", "local log");
        local.Write("out/local-build.txt", "local build");
        local.Write("sub/secret.txt", "local secret");
        local.Write("cache/local.bin", "local cache");
        local.Write("node_modules/local.js", "local module");
        var ws = await fixture.WorkspaceAsync();
        await fixture.ExecAsync("sh", "-c",
            $"cd {ws} && mkdir -p out sub cache node_modules && printf session > keep-session.txt && printf s > session.log && printf s > out/session-build.txt"
            + " && printf s > sub/secret.txt && printf s > cache/session.bin && printf s > node_modules/session.js");

        await using var sync = await fixture.Continuous.StartTwoWayAsync(fixture.Session, local.Path, new TwoWaySyncOptions
        {
            SessionWorkspace = ws,
            Backend = "podman",
            HelperBinary = fixture.HelperBinary,
            Excludes = ["cache"],
            QuietPeriod = TimeSpan.FromMilliseconds(100),
        });
        for (int i = 0; i < 3; i++) Assert.Null((await sync.FlushAsync()).Error);

        // What is not ignored travelled both ways.
        Assert.Equal("session", local.Read("keep-session.txt"));
        Assert.Equal("local", await fixture.ExecAsync("cat", $"{ws}/keep-local.txt"));

        // Nothing ignored travelled to the session; the session's own ignored files are all still there, unchanged.
        var sessionFiles = (await fixture.ExecAsync("sh", "-c", $"cd {ws} && find . -type f | LC_ALL=C sort")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(
            ["./.gitignore", "./cache/session.bin", "./keep-local.txt", "./keep-session.txt", "./node_modules/session.js", "./out/session-build.txt", "./session.log", "./sub/.gitignore", "./sub/secret.txt"],
            sessionFiles);
        Assert.Equal("s", await fixture.ExecAsync("cat", $"{ws}/sub/secret.txt"));

        // Nothing ignored came back to the local workspace; the local ignored files are untouched.
        Assert.False(local.Exists("session.log"));
        Assert.False(local.Exists("out/session-build.txt"));
        Assert.False(local.Exists("cache/session.bin"));
        Assert.False(local.Exists("node_modules/session.js"));
        Assert.Equal("local secret", local.Read("sub/secret.txt"));
        Assert.Equal("local log", local.Read("local.log"));
        Assert.Equal(0, sync.Status.Deleted);
    }
}
