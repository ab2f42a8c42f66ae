using Paude.Sessions;
using Paude.Sync;

namespace Paude.SessionHelper.Tests.Continuous.TwoWay;

/// <summary>
/// Two-way sync's base (the last agreement, kept on the host outside the workspace) lives in the session's state folder
/// (<c>$XDG_STATE_HOME/paude/sessions/&lt;backend&gt;/&lt;session&gt;/two-way/</c>) and goes when the session is deleted
/// through the backend (what <c>paude delete</c> calls); other sessions' bases stay.
/// </summary>
[Collection(PodmanHelperGroup.Name)]
public sealed class TwoWayBaseCleanupTests(PodmanHelperFixture fixture)
{
    [Fact]
    public async Task Deleting_the_session_removes_its_two_way_base_and_no_other()
    {
        var doomed = SessionName.Parse($"sh{fixture.RunId}-del");
        await fixture.Backend.CreateAsync(new SessionSpec { Name = doomed, AgentCommand = ["sleep", "infinity"], User = "1000680000:0" });
        try
        {
            var doomedBases = await RunTwoWayOnceAsync(doomed);
            var keptBases = await RunTwoWayOnceAsync(fixture.Session);
            Assert.NotEmpty(Directory.GetFiles(doomedBases, "*.json"));

            Assert.True(await fixture.Backend.DeleteAsync(doomed));

            Assert.False(Directory.Exists(Path.GetDirectoryName(doomedBases)), "the deleted session's state folder is left");
            Assert.NotEmpty(Directory.GetFiles(keptBases, "*.json"));
        }
        finally
        {
            await fixture.Backend.DeleteAsync(doomed);
        }
    }

    /// <summary>Runs two-way sync over a fresh workspace until its first round is done; returns where its base is kept.</summary>
    private async Task<string> RunTwoWayOnceAsync(SessionName session)
    {
        using var local = await LocalRepo.CreateAsync(git: false);
        local.Write("a.txt", "agreed");
        await Podman.RunAsync(["exec", "paude-" + session.Value, "mkdir", "-p", "/pvc/cleanup"]);
        await using (var sync = await fixture.Continuous.StartTwoWayAsync(session, local.Path, new TwoWaySyncOptions
        {
            SessionWorkspace = "/pvc/cleanup",
            Backend = "podman",
            HelperBinary = fixture.HelperBinary,
            QuietPeriod = TimeSpan.FromMilliseconds(100),
        }))
        {
            await using var rounds = sync.ReadRoundsAsync().GetAsyncEnumerator();
            Assert.True(await rounds.MoveNextAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30)));
            Assert.Null(rounds.Current.Error);
            await sync.FlushAsync();
        }

        var bases = Path.Combine(StateHome(), "paude", "sessions", "podman", session.Value, "two-way");
        Assert.True(Directory.Exists(bases), $"no base in {bases}");
        return bases;
    }

    private static string StateHome() =>
        Environment.GetEnvironmentVariable("XDG_STATE_HOME") is { Length: > 0 } home ? home
        : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "state");
}
