using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Paude.Errors;
using Paude.Sessions;
using Paude.Sync;

namespace Paude.Backends.OpenShift.Leases;

/// <summary>
/// The cluster-wide sync exclusion of this backend instance's sessions (<see cref="ISessionSyncExclusion"/>): one
/// Lease per session (<see cref="SyncLeaseApi"/>) whose <c>holderIdentity</c> is <see cref="Identity"/>. A sync takes
/// it waiting for another holder, re-entrantly among the syncs of this instance (a continuous sync holds it for its run
/// and each round takes it again without an API call); an upgrade takes it now or never and alone. A Lease whose holder
/// stopped renewing (a killed sync) is free once its renewal time plus duration has passed. Taking it is optimistic
/// concurrency (create by name, replace by <c>resourceVersion</c>): of two takers one wins, the other sees the winner.
/// A Lease is only written for a session that exists and is owned by its StatefulSet: one of an earlier session of the
/// same name (its holder synced a session that is gone) is free, and a hold of a deleted session that this instance
/// still has (a sync never released) blocks no session created under that name later.
/// </summary>
[SuppressMessage("Design", "CA1001", Justification = "A SemaphoreSlim whose AvailableWaitHandle is never read holds nothing to release; holds may outlive the backend's disposal.")]
internal sealed class SessionSyncLeases(string backend, SyncLeaseApi api, TimeSpan? duration, TimeProvider time, ILogger logger)
{
    private static readonly TimeSpan MaxPoll = TimeSpan.FromSeconds(1);

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<string, HeldSyncLease> _held = new(StringComparer.Ordinal);

    /// <summary>This holder: host name, process id and a random part (two instances in one process differ). No secret.</summary>
    public string Identity { get; } = $"{Environment.MachineName}/{Environment.ProcessId}/{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}";

    /// <summary>
    /// The holder an upgrade writes: <see cref="Identity"/> marked, so a refusal met by a sync or by the rerun of a killed
    /// upgrade names what holds the Lease (an upgrade, not a sync).
    /// </summary>
    public string UpgradeIdentity => Identity + "/upgrade";

    /// <summary>Takes the session's Lease for a sync (see <see cref="ISessionSyncExclusion.HoldForSyncAsync"/>).</summary>
    public async Task<IAsyncDisposable> HoldForSyncAsync(SessionName session, TimeSpan wait, CancellationToken cancellationToken)
    {
        if (duration is not { } length)
        {
            return NoHold.Instance;
        }

        var started = time.GetTimestamp();
        var delay = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            (string Holder, DateTimeOffset ExpiresAt) busy;
            await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                _held.TryGetValue(session.Value, out var held);
                if (held is { ForSync: false, Lost: true })
                {
                    // An upgrade's hold whose Lease is gone (its session was deleted) guards nothing: take a new one.
                    held = null;
                }

                if (held is { ForSync: true, Lost: false })
                {
                    held.Count++;
                    return new Hold(this, held);
                }

                if (held is { ForSync: false })
                {
                    busy = (UpgradeIdentity, held.ExpiresAt);
                }
                else
                {
                    var (taken, other, forbidden) = await TryTakeAsync(session, Identity, length, cancellationToken).ConfigureAwait(false);
                    if (forbidden)
                    {
                        return NoHold.Instance;
                    }

                    if (taken is not null)
                    {
                        if (held is not null)
                        {
                            // Syncs still run under a Lease this instance lost: they hold it again from now on.
                            held.Resume(taken);
                            held.Count++;
                        }
                        else
                        {
                            held = new HeldSyncLease(session, forSync: true, taken, api, length, time, logger);
                            _held[session.Value] = held;
                        }

                        LeaseLog.Taken(logger, api.Describe(session), Identity, "a sync");
                        return new Hold(this, held);
                    }

                    busy = other;
                }
            }
            finally
            {
                _gate.Release();
            }

            var remaining = wait - time.GetElapsedTime(started);
            if (remaining <= TimeSpan.Zero)
            {
                throw new SyncLockedException(api.Describe(session), wait, busy.Holder, busy.ExpiresAt);
            }

            LeaseLog.Waiting(logger, api.Describe(session), busy.Holder, busy.ExpiresAt);
            await Task.Delay(delay < remaining ? delay : remaining, time, cancellationToken).ConfigureAwait(false);
            delay = delay * 2 < MaxPoll ? delay * 2 : MaxPoll;
        }
    }

    /// <summary>
    /// Takes the session's Lease for an upgrade, now or never: held by a sync anywhere (this instance's included) is
    /// <see cref="SessionSyncInProgressException"/> naming the holder and when its Lease expires.
    /// </summary>
    public async Task<IAsyncDisposable> HoldForUpgradeAsync(SessionName session, CancellationToken cancellationToken)
    {
        if (duration is not { } length)
        {
            return NoHold.Instance;
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_held.TryGetValue(session.Value, out var mine) && !mine.Lost)
            {
                throw new SessionSyncInProgressException(session.Value, api.Describe(session), mine.ForSync ? Identity : UpgradeIdentity, mine.ExpiresAt);
            }

            var (taken, other, forbidden) = await TryTakeAsync(session, UpgradeIdentity, length, cancellationToken).ConfigureAwait(false);
            if (forbidden)
            {
                return NoHold.Instance;
            }

            if (taken is null)
            {
                throw new SessionSyncInProgressException(session.Value, api.Describe(session), other.Holder, other.ExpiresAt);
            }

            var held = new HeldSyncLease(session, forSync: false, taken, api, length, time, logger);
            _held[session.Value] = held;
            LeaseLog.Taken(logger, api.Describe(session), UpgradeIdentity, "an upgrade");
            return new Hold(this, held);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// <see cref="TakeAsync"/>, or <c>forbidden</c> when the user may not use Leases (HTTP 403): Kubernetes' default
    /// <c>edit</c>/<c>admin</c> roles do not grant them, and a project member who could sync before must still be able
    /// to. Then only the local lock guards (as without the Lease, <see cref="OpenShiftBackendOptions.SyncLeaseDuration"/>
    /// null), and a warning says that syncs from other machines are not seen.
    /// </summary>
    private async Task<(V1Lease? Taken, (string Holder, DateTimeOffset ExpiresAt) Other, bool Forbidden)> TryTakeAsync(SessionName session, string identity, TimeSpan length, CancellationToken cancellationToken)
    {
        try
        {
            var (taken, other) = await TakeAsync(session, identity, length, cancellationToken).ConfigureAwait(false);
            return (taken, other, false);
        }
        catch (Paude.Errors.BackendOperationException e) when (e.InnerException is k8s.Autorest.HttpOperationException { Response.StatusCode: System.Net.HttpStatusCode.Forbidden })
        {
            LeaseLog.Forbidden(logger, api.Describe(session));
            return (null, default, true);
        }
    }

    /// <summary>
    /// One attempt at taking the Lease: the taken Lease, or the holder that has it and when it expires. A Lease that is
    /// missing is created, one that is free, expired, of an earlier session of the same name or already ours (a retried
    /// write whose answer was lost) is replaced at the version read; a lost race is read again, once.
    /// </summary>
    /// <exception cref="SessionNotFoundException">The session does not exist (was deleted while this sync waited).</exception>
    private async Task<(V1Lease? Taken, (string Holder, DateTimeOffset ExpiresAt) Other)> TakeAsync(SessionName session, string identity, TimeSpan length, CancellationToken cancellationToken)
    {
        // The owner is read every time (one call): a Lease written for a session deleted meanwhile would outlive it.
        var owner = await api.OwnerAsync(session, cancellationToken).ConfigureAwait(false)
            ?? throw new SessionNotFoundException(session.Value, backend);

        // Released Leases are deleted, so usually there is none: creating it first takes it in one call (measured: a
        // read first cost a small incremental sync another round trip).
        if (await api.CreateAsync(session, owner, LeaseTimes.Taken(null, identity, length, time.GetUtcNow()), cancellationToken).ConfigureAwait(false) is { } first)
        {
            return (first, default);
        }

        V1Lease? current = null;
        for (var attempt = 0; attempt < 2; attempt++)
        {
            current = await api.ReadAsync(session, cancellationToken).ConfigureAwait(false);
            var now = time.GetUtcNow();
            if (current is null)
            {
                if (await api.CreateAsync(session, owner, LeaseTimes.Taken(null, identity, length, now), cancellationToken).ConfigureAwait(false) is { } created)
                {
                    return (created, default);
                }

                continue;
            }

            var holder = current.Spec?.HolderIdentity;
            if (holder != identity && LeaseTimes.ExpiresAt(current) > now && !SyncLeaseApi.OfEarlierSession(current, owner))
            {
                return (null, (holder!, LeaseTimes.ExpiresAt(current)));
            }

            var (replaced, _) = await api.ReplaceAsync(session, current, owner, LeaseTimes.Taken(current, identity, length, now), cancellationToken).ConfigureAwait(false);
            if (replaced is not null)
            {
                return (replaced, default);
            }
        }

        return (null, current?.Spec?.HolderIdentity is { Length: > 0 } h ? (h, LeaseTimes.ExpiresAt(current)) : ("another holder", time.GetUtcNow()));
    }

    private async Task ReleaseAsync(HeldSyncLease held)
    {
        await _gate.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            if (--held.Count > 0)
            {
                return;
            }

            // A lost hold may have been replaced meanwhile (an upgrade of a new session of that name): leave that one.
            if (_held.GetValueOrDefault(held.Session.Value) == held)
            {
                _held.Remove(held.Session.Value);
            }

            await held.ReleaseAsync().ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>One hold of a held Lease; disposing it more than once releases once.</summary>
    private sealed class Hold(SessionSyncLeases owner, HeldSyncLease held) : IAsyncDisposable
    {
        private int _disposed;

        public ValueTask DisposeAsync() =>
            Interlocked.Exchange(ref _disposed, 1) == 1 ? ValueTask.CompletedTask : new ValueTask(owner.ReleaseAsync(held));
    }

    /// <summary>The hold when the Lease is turned off (<see cref="OpenShiftBackendOptions.SyncLeaseDuration"/> null).</summary>
    private sealed class NoHold : IAsyncDisposable
    {
        public static readonly NoHold Instance = new();

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
