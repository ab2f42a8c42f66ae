using System.Diagnostics;
using Paude.Cli.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Paude.Cli.Tests.Commands;

/// <summary>
/// <c>paude upgrade</c> as a real process, SIGKILLed after random delays (seeded, printed on failure) while it replaces
/// the containers, then run again: the session is listed after every kill, the last run finishes the upgrade, the
/// session runs the new image with its workspace (commit, uncommitted edit, staged file) and agent state intact, and
/// nothing of an older generation is left.
/// </summary>
[Collection("podman")]
public sealed class UpgradeKillTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly string _name = TestRun.NewSessionName("upkill");
    private readonly string _workspace = TestRun.NewGitWorkspace("upkill");
    private string _image = null!;

    public async Task InitializeAsync() => _image = await UpgradeImage.BuildAsync("ct" + TestRun.Id);

    public async Task DisposeAsync()
    {
        await PaudeCli.RunAsync("delete", _name, "--force");
        await UpgradeImage.RemoveAsync(_image);
        Directory.Delete(_workspace, recursive: true);
    }

    [Fact]
    public async Task An_upgrade_killed_at_random_points_is_finished_by_a_rerun_with_the_work_intact()
    {
        var created = await PaudeCli.RunAsync("create", _name, "--workspace", _workspace, "--agent-command", SharedSessionFixture.StandInAgent);
        Assert.True(created.ExitCode == 0, created.ToString());
        var seeded = await PaudeCli.RunAsync("exec", _name, "--", "bash", "-c", UpgradeImage.SeedWorkScript);
        Assert.True(seeded.ExitCode == 0, seeded.ToString());

        var seed = Environment.TickCount;
        var random = new Random(seed);
        var kills = new List<string>();
        for (var round = 0; round < 4; round++)
        {
            // Up to 6 s: a whole upgrade takes a few seconds here, so kills land in every step (or after the end).
            var delay = random.Next(100, 6000);
            var start = PaudeCli.StartInfo("upgrade", _name, "--image", _image);
            start.Environment["PAUDE_EXTRA_LABELS"] = $"paude.test={TestRun.Id}";
            start.RedirectStandardOutput = start.RedirectStandardError = true;
            using var process = Process.Start(start)!;
            var exited = process.WaitForExit(delay);
            if (!exited)
            {
                process.Kill(); // SIGKILL, the process only: podman calls it started run on as after a real kill
            }

            await process.WaitForExitAsync();
            kills.Add(exited ? $"{delay} ms: finished ({process.ExitCode})" : $"{delay} ms: killed");
            var list = await PaudeCli.RunAsync("list", "-o", "json");
            Assert.True(list.Json().GetProperty("sessions").EnumerateArray().Any(s => s.GetProperty("name").GetString() == _name), $"seed {seed}, {string.Join("; ", kills)}: the session was not listed\n{list}");
        }

        output.WriteLine($"seed {seed}: {string.Join("; ", kills)}");
        var rerun = await PaudeCli.RunProcessAsync(null, "upgrade", _name, "--image", _image, "-o", "json");
        var context = $"seed {seed}, {string.Join("; ", kills)}\n{rerun}";
        Assert.True(rerun.ExitCode == 0, context);
        Assert.Equal("running", rerun.Json().GetProperty("status").GetString());
        Assert.Equal(_image, rerun.Json().GetProperty("agentImage").GetString());
        Assert.Equal(await UpgradeImage.ImageIdAsync(_image), await UpgradeImage.ContainerImageIdAsync($"paude-{_name}"));
        var work = await PaudeCli.RunAsync("exec", _name, "--", "bash", "-c", UpgradeImage.ReadWorkScript);
        Assert.True(work.Stdout == UpgradeImage.ExpectedWork, context + "\n" + work);

        // Exactly one record volume (the newest) besides the session's own three volumes, and its two containers.
        var left = await TestRun.PodmanLeftoversAsync(_name);
        Assert.True(left.Count == 6, context + "\n" + string.Join("\n", left));
        Assert.Single(left, l => l.StartsWith($"volume paude-{_name}.upgrade-", StringComparison.Ordinal));

        var deleted = await PaudeCli.RunAsync("delete", _name, "--force");
        Assert.True(deleted.ExitCode == 0, deleted.ToString());
        Assert.Empty(await TestRun.PodmanLeftoversAsync(_name));
    }
}
