using System.Diagnostics.CodeAnalysis;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Paude.Sessions;

namespace Paude.Backends.OpenShift.Leases;

/// <summary>
/// A session's sync Lease while this backend instance holds it: renewed every third of its duration on a
/// <see cref="TimeProvider"/> timer (so a holder that is alive keeps it through two missed renewals), counted holds
/// (syncs are re-entrant), and lost for good when someone else took it or it was deleted (logged; the hold goes on
/// without exclusion, which is what a sync without this Lease always had).
/// </summary>
[SuppressMessage("Design", "CA1001", Justification = "ReleaseAsync ends its life and disposes the renewal's token source; a Lease is released by its holds, not disposed.")]
internal sealed class HeldSyncLease
{
    private readonly SyncLeaseApi _api;
    private readonly TimeSpan _period;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private CancellationTokenSource? _stop;
    private Task _renewal = Task.CompletedTask;
    private volatile bool _lost;

    public HeldSyncLease(SessionName session, bool forSync, V1Lease lease, SyncLeaseApi api, TimeSpan duration, TimeProvider time, ILogger logger)
    {
        Session = session;
        ForSync = forSync;
        _api = api;
        _period = duration / 3;
        _time = time;
        _logger = logger;
        Resume(lease);
    }

    public SessionName Session { get; }

    /// <summary>Held for syncs (re-entrant among them), else for an upgrade (exclusive).</summary>
    public bool ForSync { get; }

    /// <summary>How many holds share it (syncs only ever have more than one).</summary>
    public int Count { get; set; } = 1;

    /// <summary>The Lease as last written by this holder.</summary>
    public V1Lease Lease { get; private set; } = null!;

    /// <summary>Someone else took it or it was deleted: renewal stopped.</summary>
    public bool Lost => _lost;

    public DateTimeOffset ExpiresAt => LeaseTimes.ExpiresAt(Lease);

    /// <summary>Holds <paramref name="lease"/> (just taken) and starts renewing it.</summary>
    public void Resume(V1Lease lease)
    {
        Lease = lease;
        _lost = false;
        _stop?.Dispose();
        _stop = new CancellationTokenSource();
        var stop = _stop.Token;
        _renewal = Task.Run(() => RenewAsync(stop), CancellationToken.None);
    }

    /// <summary>Stops renewing and deletes the Lease unless it was lost; never throws (an undeleted Lease expires).</summary>
    public async Task ReleaseAsync()
    {
        await _stop!.CancelAsync().ConfigureAwait(false);
        await _renewal.ConfigureAwait(false);
        _stop.Dispose();
        if (_lost)
        {
            return;
        }

        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30), _time);
            if (!await _api.DeleteAsync(Session, Lease, timeout.Token).ConfigureAwait(false))
            {
                LeaseLog.Lost(_logger, _api.Describe(Session), "changed by someone else before it was released");
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LeaseLog.ReleaseFailed(_logger, e, _api.Describe(Session));
        }
    }

    private async Task RenewAsync(CancellationToken stop)
    {
        try
        {
            while (true)
            {
                await Task.Delay(_period, _time, stop).ConfigureAwait(false);
                try
                {
                    if (await RenewOnceAsync(stop).ConfigureAwait(false) is { } reason)
                    {
                        _lost = true;
                        LeaseLog.Lost(_logger, _api.Describe(Session), reason);
                        return;
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException || !stop.IsCancellationRequested)
                {
                    // The API is unreachable (retries exhausted): the Lease stays ours until it expires; try again.
                    LeaseLog.RenewFailed(_logger, e, _api.Describe(Session), _period);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Released.
        }
    }

    /// <summary>One renewal; the reason when the Lease is no longer ours, else <c>null</c>.</summary>
    private async Task<string?> RenewOnceAsync(CancellationToken stop)
    {
        var (renewed, gone) = await _api.ReplaceAsync(Session, Lease, owner: null, LeaseTimes.Renewed(Lease, _time.GetUtcNow()), stop).ConfigureAwait(false);
        if (renewed is not null)
        {
            Lease = renewed;
            return null;
        }

        if (gone)
        {
            return "deleted (the session was deleted?)";
        }

        // Changed meanwhile: by our own renewal whose answer was lost (still ours: carry on from it) or by another holder.
        var current = await _api.ReadAsync(Session, stop).ConfigureAwait(false);
        if (current?.Spec?.HolderIdentity == Lease.Spec.HolderIdentity)
        {
            Lease = current!;
            return null;
        }

        return current is null ? "deleted (the session was deleted?)" : $"taken over by {current.Spec?.HolderIdentity}";
    }
}
