using System.Diagnostics;
using System.Globalization;
using Paude.Backends.OpenShift.Tests.Infrastructure;
using Paude.Errors;
using Paude.Execution;
using Paude.Sessions;
using Paude.Sync;
using Xunit.Abstractions;

namespace Paude.Backends.OpenShift.Tests.Leases;

/// <summary>
/// The session's sync Lease on the test server, between "machines" (<see cref="SyncLeaseMachines"/>: backend instances
/// with state folders of their own, so the local lock file of one is invisible to the other): a sync on one makes an
/// upgrade on another refuse, naming the holder; renewal keeps a sync's Lease past its duration; a holder that stopped
/// renewing (killed) blocks until its Lease expires; racing takers get exactly one winner; a continuous sync holds it
/// between rounds; the session's delete removes it. Cross-checked with the real kubectl.
/// </summary>
[Collection(KubeServerCollectionB.Name)]
public sealed class SyncLeaseTests(KubeServerFixture fixture, ITestOutputHelper output)
{
    private static string NewFolder()
    {
        var folder = Path.Combine(Path.GetTempPath(), "paude-s17-lease-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "a.txt"), "one");
        return folder;
    }

    private async Task<string> PodUidAsync(SessionName name) =>
        await fixture.KubectlAsync("get", "pod", $"paude-{name}-0", "-o", "jsonpath={.metadata.uid}");

    [Fact]
    public async Task An_upgrade_on_another_machine_refuses_while_a_sync_holds_the_lease_even_past_its_duration_and_after_a_killed_holders_lease_expired_proceeds()
    {
        await using var machines = new SyncLeaseMachines(fixture);
        var a = machines.Start("lease-a", TimeSpan.FromSeconds(2));
        var b = machines.Start("lease-b", TimeSpan.FromSeconds(2));
        var name = fixture.NewName("lease");
        var folder = NewFolder();
        var other = NewFolder();
        try
        {
            await a.Backend.CreateAsync(fixture.Spec(name));

            // The agent has no API credentials to take or hold the Lease with: no service-account token is mounted.
            var token = await a.Backend.ExecAsync(name, ["sh", "-c", "test -e /var/run/secrets/kubernetes.io/serviceaccount/token"]);
            Assert.NotEqual(0, token.ExitCode);

            // A real sync on A, paused with its locks held, for 3.5 times its Lease's duration: renewal keeps it alive.
            using var progress = new SyncLeaseMachines.PausingProgress();
            var options = new SyncOptions { Backend = a.Name, Direction = SyncDirection.ToSession, Strategy = SyncStrategy.Exclude, SessionWorkspace = "/pvc/workspace/lease" };
            var sync = Task.Run(() => a.Sync.SyncAsync(name, folder, options, progress));
            await progress.Reached.Task.WaitAsync(TimeSpan.FromMinutes(2));
            var firstRenewal = (await machines.LeaseAsync(name)).Split('|');
            Assert.Equal([a.Holder, "2"], firstRenewal[..2]);
            await Task.Delay(TimeSpan.FromSeconds(7));
            var renewed = (await machines.LeaseAsync(name)).Split('|');
            Assert.Equal(a.Holder, renewed[0]);
            Assert.True(DateTimeOffset.Parse(renewed[2], CultureInfo.InvariantCulture) > DateTimeOffset.Parse(firstRenewal[2], CultureInfo.InvariantCulture).AddSeconds(4), $"{firstRenewal[2]} -> {renewed[2]}");

            // B sees none of A's lock files; before the Lease its upgrade replaced the pods under A's sync.
            var pod = await PodUidAsync(name);
            var refused = await Assert.ThrowsAsync<SessionSyncInProgressException>(() => b.Backend.UpgradeAsync(name, new SessionUpgrade()));
            Assert.Equal(a.Holder, refused.Holder);
            Assert.Contains(a.Holder, refused.Message, StringComparison.Ordinal);
            Assert.Contains($"paude-sync-{name}", refused.Message, StringComparison.Ordinal);
            Assert.Equal(pod, await PodUidAsync(name));
            Assert.Equal(string.Empty, await fixture.KubectlAsync("get", "statefulset", $"paude-{name}", "-o", "jsonpath={.metadata.annotations.paude\\.io/generation}"));

            // A sync on B (of another local folder: A's holds its own) waits for A's and then gives up, naming A.
            var waited = await Assert.ThrowsAsync<SyncLockedException>(() => b.Sync.SyncAsync(name, other, options with { Backend = b.Name, LockTimeout = TimeSpan.FromSeconds(1) }));
            Assert.Equal(a.Holder, waited.Holder);

            progress.Release();
            Assert.Contains("a.txt", (await sync).FilesChanged);
            Assert.Equal(string.Empty, await machines.LeaseAsync(name)); // released: deleted

            // While B upgrades, B holds the Lease as an upgrade: a sync on A waits and is told so.
            var upgrading = b.Backend.UpgradeAsync(name, new SessionUpgrade());
            await Eventually.UntilAsync(() => machines.LeaseAsync(name), l => l.StartsWith(b.Holder + "/upgrade|", StringComparison.Ordinal), "B's upgrade holds the Lease");
            var duringUpgrade = await Assert.ThrowsAsync<SyncLockedException>(() => a.Exclusion.HoldForSyncAsync(name, TimeSpan.Zero));
            Assert.Equal(b.Holder + "/upgrade", duringUpgrade.Holder);

            var upgraded = await upgrading;
            Assert.Equal(SessionStatus.Running, upgraded.Status);
            Assert.NotEqual(pod, await PodUidAsync(name));
            Assert.Equal(string.Empty, await machines.LeaseAsync(name));

            // A killed sync: its holder took the Lease and never renews it. B is refused until it expires, told when.
            var killed = machines.Start("lease-killed", TimeSpan.FromSeconds(3), new SyncLeaseMachines.NoTimers());
            _ = await killed.Exclusion.HoldForSyncAsync(name, TimeSpan.Zero);
            var blocked = await Assert.ThrowsAsync<SessionSyncInProgressException>(() => b.Backend.UpgradeAsync(name, new SessionUpgrade()));
            Assert.Equal(killed.Holder, blocked.Holder);
            var expires = Assert.NotNull(blocked.ExpiresAt);
            Assert.InRange(expires - DateTimeOffset.UtcNow, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(3.5));
            Assert.Contains($"expires at {expires:u}", blocked.Message, StringComparison.Ordinal);
            output.WriteLine(blocked.Message);

            await Task.Delay(expires - DateTimeOffset.UtcNow + TimeSpan.FromMilliseconds(500));
            pod = await PodUidAsync(name);
            Assert.Equal(SessionStatus.Running, (await b.Backend.UpgradeAsync(name, new SessionUpgrade())).Status);
            Assert.NotEqual(pod, await PodUidAsync(name));

            // The killed holder's next Lease is left behind; the session's delete removes it with everything else.
            var killedAgain = machines.Start("lease-killed2", TimeSpan.FromSeconds(3), new SyncLeaseMachines.NoTimers());
            _ = await killedAgain.Exclusion.HoldForSyncAsync(name, TimeSpan.Zero);
            Assert.StartsWith(killedAgain.Holder + "|", await machines.LeaseAsync(name), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
            Directory.Delete(other, recursive: true);
            await a.Backend.DeleteAsync(name);
        }

        Assert.Equal(string.Empty, await machines.LeaseAsync(name));
        Assert.Empty(await fixture.SessionObjectsAsync(name));
    }

    [Fact]
    public async Task A_killed_sync_of_a_deleted_session_leaves_no_lease_and_blocks_no_new_session_of_its_name()
    {
        await using var machines = new SyncLeaseMachines(fixture);
        var a = machines.Start("lease-gone-a", TimeSpan.FromSeconds(3));
        var w = machines.Start("lease-gone-w", TimeSpan.FromSeconds(30));
        var name = fixture.NewName("leasegone");
        try
        {
            await a.Backend.CreateAsync(fixture.Spec(name));

            // A sync on A that is never released (dropped, its process lives on) and a sync on another machine waiting
            // for it (whose hold, had it got one, would never be released either: a kill).
            _ = await a.Exclusion.HoldForSyncAsync(name, TimeSpan.Zero);
            var waiting = Task.Run(() => w.Exclusion.HoldForSyncAsync(name, TimeSpan.FromMinutes(2)));
            await Task.Delay(TimeSpan.FromSeconds(1));
            Assert.False(waiting.IsCompleted);

            // The session is deleted: its Lease goes with it, and the waiting sync must not take a Lease of a session
            // that no longer exists (before: it created one nothing would ever remove).
            await a.Backend.DeleteAsync(name);
            var gone = await Assert.ThrowsAsync<SessionNotFoundException>(() => waiting.WaitAsync(TimeSpan.FromMinutes(1)));
            Assert.Equal(name.Value, gone.Name);
            await Task.Delay(TimeSpan.FromSeconds(2.5)); // A's renewals (every second) meet the deleted Lease
            Assert.Equal(string.Empty, await machines.LeaseAsync(name));
            Assert.Empty(await fixture.SessionObjectsAsync(name));

            // A new session of the same name: A's dropped hold of the old one blocks neither its upgrade nor a sync.
            await a.Backend.CreateAsync(fixture.Spec(name));
            Assert.Equal(SessionStatus.Running, (await a.Backend.UpgradeAsync(name, new SessionUpgrade())).Status);
            var held = await w.Exclusion.HoldForSyncAsync(name, TimeSpan.Zero);
            var statefulSet = await fixture.KubectlAsync("get", "statefulset", $"paude-{name}", "-o", "jsonpath={.metadata.uid}");
            Assert.Equal($"StatefulSet/paude-{name}/{statefulSet}", await fixture.KubectlAsync("get", "lease", $"paude-sync-{name}", "-o", "jsonpath={.metadata.ownerReferences[0].kind}/{.metadata.ownerReferences[0].name}/{.metadata.ownerReferences[0].uid}"));
            await held.DisposeAsync();
            Assert.Equal(string.Empty, await machines.LeaseAsync(name));
        }
        finally
        {
            await a.Backend.DeleteAsync(name);
        }

        Assert.Equal(string.Empty, await machines.LeaseAsync(name));
    }

    [Fact]
    public async Task Of_racing_takers_exactly_one_wins_a_free_lease_and_exactly_one_an_expired_one()
    {
        // A Lease is only taken for a session that exists (the shared one: its delete is not part of this test).
        await using var machines = new SyncLeaseMachines(fixture);
        var name = await SharedSession.GetAsync(fixture);

        // A free Lease: everyone creates at once; the others meet the 409 and name the winner.
        var racers = Enumerable.Range(0, 6).Select(i => machines.Start($"lease-race{i}", TimeSpan.FromSeconds(1), new SyncLeaseMachines.NoTimers())).ToList();
        var first = await Task.WhenAll(racers.Select(m => TryHoldAsync(m, name)));
        var winner = Assert.Single(first, r => r.Held is not null);
        Assert.All(first.Where(r => r.Held is null), r => Assert.Equal(winner.Machine.Holder, r.Refusal!.Holder));
        Assert.StartsWith(winner.Machine.Holder + "|1|", await machines.LeaseAsync(name), StringComparison.Ordinal);

        // The winner never renews (NoTimers): after its second the Lease is expired, and a new race replaces it at
        // the version read: one wins, the others' writes are 409s.
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        var takers = Enumerable.Range(0, 6).Select(i => machines.Start($"lease-take{i}", TimeSpan.FromSeconds(30))).ToList();
        var second = await Task.WhenAll(takers.Select(m => TryHoldAsync(m, name)));
        var taker = Assert.Single(second, r => r.Held is not null);
        Assert.All(second.Where(r => r.Held is null), r => Assert.Equal(taker.Machine.Holder, r.Refusal!.Holder));
        var lease = (await machines.LeaseAsync(name)).Split('|');
        Assert.Equal([taker.Machine.Holder, "30"], lease[..2]);
        Assert.Equal("1", lease[3]); // one transition: the expired holder's Lease was taken over, not re-created

        // Re-entrant on the same machine (a continuous sync's rounds): no wait, still held after the inner release.
        var inner = await taker.Machine.Exclusion.HoldForSyncAsync(name, TimeSpan.Zero);
        await inner.DisposeAsync();
        Assert.StartsWith(taker.Machine.Holder + "|", await machines.LeaseAsync(name), StringComparison.Ordinal);
        await taker.Held!.DisposeAsync();
        Assert.Equal(string.Empty, await machines.LeaseAsync(name));
    }

    [Fact]
    public async Task A_lease_without_a_holder_is_free_however_fresh_its_renewal()
    {
        // Older versions could leave a Lease with no holderIdentity; nobody can release such a Lease (a release checks
        // the holder is its own), so waiting for it would only wait out its duration, an hour here.
        await using var machines = new SyncLeaseMachines(fixture);
        var a = machines.Start("lease-noholder", TimeSpan.FromSeconds(30));
        var name = await SharedSession.GetAsync(fixture);
        foreach (var holder in new[] { null, string.Empty })
        {
            await WriteLeaseAsync(name, holder, TimeSpan.FromHours(1));
            Assert.Equal("|3600|", (await machines.LeaseAsync(name))[..6]);

            var held = await a.Exclusion.HoldForSyncAsync(name, TimeSpan.Zero);
            var lease = (await machines.LeaseAsync(name)).Split('|');
            Assert.Equal([a.Holder, "30"], lease[..2]);
            await held.DisposeAsync();
            Assert.Equal(string.Empty, await machines.LeaseAsync(name));
        }
    }

    /// <summary>Writes the session's Lease as another (older) client would, with kubectl: <paramref name="holder"/> <c>null</c> leaves the field out.</summary>
    private async Task WriteLeaseAsync(SessionName name, string? holder, TimeSpan duration)
    {
        var spec = new Dictionary<string, object>
        {
            ["leaseDurationSeconds"] = (int)duration.TotalSeconds,
            ["renewTime"] = TimeProvider.System.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture),
        };
        if (holder is not null)
        {
            spec["holderIdentity"] = holder;
        }

        var lease = new
        {
            apiVersion = "coordination.k8s.io/v1",
            kind = "Lease",
            metadata = new { name = $"paude-sync-{name}", labels = new Dictionary<string, string> { ["paude.io/session-name"] = name.Value } },
            spec,
        };
        var file = Path.Combine(Path.GetTempPath(), $"paude-s19-lease-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, System.Text.Json.JsonSerializer.Serialize(lease));
        try
        {
            await fixture.KubectlAsync("create", "--validate=false", "-f", file);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task A_continuous_sync_holds_the_lease_between_rounds_and_releases_it_when_stopped()
    {
        await using var machines = new SyncLeaseMachines(fixture);
        var a = machines.Start("lease-watch-a", TimeSpan.FromSeconds(30));
        var b = machines.Start("lease-watch-b", TimeSpan.FromSeconds(30));
        var name = await SharedSession.GetAsync(fixture);
        var folder = NewFolder();
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        try
        {
            var options = new ContinuousSyncOptions { Backend = a.Name, SessionWorkspace = "/pvc/workspace/lease-watch-" + Guid.NewGuid().ToString("N")[..6], RescanInterval = TimeSpan.FromMinutes(1) };
            await using var rounds = a.Continuous.WatchToSessionAsync(name, folder, options, stop.Token).GetAsyncEnumerator(stop.Token);
            Assert.True(await rounds.MoveNextAsync());
            Assert.Null(rounds.Current.Error);

            // Between rounds no local lock is held, but the Lease is: B refuses to upgrade and B's sync waits.
            var pod = await PodUidAsync(name);
            var refused = await Assert.ThrowsAsync<SessionSyncInProgressException>(() => b.Backend.UpgradeAsync(name, new SessionUpgrade()));
            Assert.Equal(a.Holder, refused.Holder);
            Assert.Equal(pod, await PodUidAsync(name));
            await Assert.ThrowsAsync<SyncLockedException>(() => b.Exclusion.HoldForSyncAsync(name, TimeSpan.FromMilliseconds(300)));

            await stop.CancelAsync();
            Assert.False(await rounds.MoveNextAsync());
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }

        Assert.Equal(string.Empty, await machines.LeaseAsync(name));
        await (await b.Exclusion.HoldForSyncAsync(name, TimeSpan.Zero)).DisposeAsync();
    }

    [Fact]
    public async Task A_two_way_sync_waits_for_a_held_lease_only_its_callers_lock_timeout()
    {
        // The two-way loop holds the Lease for its whole run; it took it with the default 30 s wait whatever the
        // caller asked for, so a caller with a short LockTimeout hung for half a minute before its "locked" error.
        await using var machines = new SyncLeaseMachines(fixture);
        var a = machines.Start("lease-both-a", TimeSpan.FromSeconds(30));
        var b = machines.Start("lease-both-b", TimeSpan.FromSeconds(30));
        var name = await SharedSession.GetAsync(fixture);
        var folder = NewFolder();
        var held = await b.Exclusion.HoldForSyncAsync(name, TimeSpan.Zero);
        try
        {
            var options = new TwoWaySyncOptions { Backend = a.Name, SessionWorkspace = "/pvc/workspace/lease-both", LockTimeout = TimeSpan.FromSeconds(1) };
            var started = Stopwatch.StartNew();
            var locked = await Assert.ThrowsAsync<SyncLockedException>(() => a.Continuous.StartTwoWayAsync(name, folder, options));
            started.Stop();
            Assert.Equal(b.Holder, locked.Holder);
            Assert.Contains("for more than 1 s", locked.Message, StringComparison.Ordinal);
            Assert.InRange(started.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(10));
            Assert.Contains("LockTimeout: must not be negative", (options with { LockTimeout = TimeSpan.FromSeconds(-1) }).GetErrors());
        }
        finally
        {
            await held.DisposeAsync();
            Directory.Delete(folder, recursive: true);
        }

        Assert.Equal(string.Empty, await machines.LeaseAsync(name));
    }

    [Fact]
    public async Task Without_rights_on_leases_a_sync_and_an_upgrade_still_run_on_the_local_lock()
    {
        // Kubernetes' default edit/admin roles grant no Leases: a project member who could sync before must still be
        // able to (the API answers 403, as RBAC would), guarded by this machine's lock only, with a warning.
        await using var machines = new SyncLeaseMachines(fixture);
        var a = machines.Start("lease-rbac", TimeSpan.FromSeconds(30));
        var name = fixture.NewName("leaserbac");
        var folder = NewFolder();
        try
        {
            await a.Backend.CreateAsync(fixture.Spec(name));
            var before = fixture.Server.Faults.Injected;
            fixture.Server.Faults.Add(new Paude.Testing.Kubernetes.FaultRule { Resource = "leases", StatusCode = 403 });
            var options = new SyncOptions { Backend = a.Name, Direction = SyncDirection.ToSession, Strategy = SyncStrategy.Exclude, SessionWorkspace = "/pvc/workspace/lease" };

            Assert.Contains("a.txt", (await a.Sync.SyncAsync(name, folder, options)).FilesChanged);
            Assert.Equal(SessionStatus.Running, (await a.Backend.UpgradeAsync(name, new SessionUpgrade())).Status);
            Assert.Equal("1", await fixture.KubectlAsync("get", "statefulset", $"paude-{name}", "-o", "jsonpath={.metadata.annotations.paude\\.io/generation}"));
            Assert.True(fixture.Server.Faults.Injected >= before + 2, "the Lease was asked for, and refused, by both");
            Assert.Equal("one", (await a.Backend.ExecAsync(name, ["cat", "/pvc/workspace/lease/a.txt"])).StandardOutput);
        }
        finally
        {
            fixture.Server.Faults.Clear();
            await a.Backend.DeleteAsync(name);
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void The_lease_duration_is_whole_seconds_within_bounds_or_off()
    {
        var errors = new[] { TimeSpan.Zero, TimeSpan.FromMilliseconds(1500), TimeSpan.FromHours(2) }
            .Select(d => new OpenShiftBackendOptions { SyncLeaseDuration = d }.GetErrors())
            .ToList();
        Assert.All(errors, e => Assert.Contains(e, m => m.StartsWith("SyncLeaseDuration:", StringComparison.Ordinal)));
        Assert.DoesNotContain(new OpenShiftBackendOptions { SyncLeaseDuration = null }.GetErrors(), m => m.StartsWith("SyncLeaseDuration", StringComparison.Ordinal));
        Assert.DoesNotContain(new OpenShiftBackendOptions().GetErrors(), m => m.StartsWith("SyncLeaseDuration", StringComparison.Ordinal));
    }

    private static async Task<(SyncLeaseMachines.Machine Machine, IAsyncDisposable? Held, SyncLockedException? Refusal)> TryHoldAsync(SyncLeaseMachines.Machine machine, SessionName name)
    {
        try
        {
            return (machine, await machine.Exclusion.HoldForSyncAsync(name, TimeSpan.Zero), null);
        }
        catch (SyncLockedException e)
        {
            return (machine, null, e);
        }
    }
}
