using Paude.Sessions;

namespace Paude.Sync.Continuous.Helper;

/// <summary>
/// The session helpers the one-shot syncs keep open (<see cref="SyncOptions.UseSessionHelper"/>): one per backend,
/// session and session workspace, so a repeated fetch or push pays no exec start-up (≈ 0.13 s on Podman) for its
/// probes. A helper idle for <see cref="IdleTimeout"/> is closed (its exec ends); a session where none could be
/// started is not asked again for <see cref="RetryAfter"/> (every sync would pay a failing exec). A connection that
/// failed is dropped by its user (<see cref="DiscardAsync"/>) and the next sync starts a fresh one.
/// </summary>
internal sealed class SessionHelperPool : IAsyncDisposable
{
    /// <summary>How long an unused helper stays open.</summary>
    public static readonly TimeSpan IdleTimeout = TimeSpan.FromMinutes(2);

    /// <summary>How long a failed start is remembered.</summary>
    public static readonly TimeSpan RetryAfter = TimeSpan.FromMinutes(1);

    private readonly Dictionary<string, Entry> _open = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> _failed = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly TimeProvider _time;
    private readonly ITimer _sweeper;
    private bool _disposed;

    public SessionHelperPool(TimeProvider time)
    {
        _time = time;
        _sweeper = time.CreateTimer(_ => _ = SweepAsync(), null, IdleTimeout, IdleTimeout);
    }

    /// <summary>
    /// The open helper for this session workspace, started when there is none; <c>null</c> when none can be started
    /// (the caller takes its exec path).
    /// </summary>
    public async Task<HelperClient?> GetAsync(ISessionBackend backend, SessionName session, string sessionWorkspace, string? localBinary, TimeSpan replyTimeout, CancellationToken cancellationToken)
    {
        var key = $"{backend.Name}\0{session.Value}\0{sessionWorkspace}";
        List<HelperClient> expired;
        HelperClient? client = null;
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var now = _time.GetUtcNow();
            expired = Expired(now);
            if (_open.TryGetValue(key, out var entry))
            {
                entry.LastUsed = now;
                client = entry.Client;
            }
            else if (!(_failed.TryGetValue(key, out var failedAt) && now - failedAt < RetryAfter))
            {
                var launcher = new SessionHelperLauncher(backend, new HelperConnectionOptions { ReplyTimeout = replyTimeout, TimeProvider = _time }, localBinary);
                try
                {
                    client = await launcher.ConnectAsync(session, sessionWorkspace, cancellationToken).ConfigureAwait(false);
                    _open[key] = new Entry(client) { LastUsed = now };
                    _failed.Remove(key);
                }
                catch (Exception e) when (e is HelperChannelException or HelperOperationException or Errors.PaudeException or IOException)
                {
                    // No helper in the image and none to inject, a workspace that does not exist yet (hello opens it),
                    // or a session that is not running: the exec paths handle (and report) all of these.
                    _failed[key] = now;
                }
            }
        }
        finally
        {
            _gate.Release();
        }

        foreach (var old in expired)
        {
            await old.DisposeAsync().ConfigureAwait(false);
        }

        return client;
    }

    /// <summary>Closes the helpers idle for longer than <see cref="IdleTimeout"/> (timer callback).</summary>
    private async Task SweepAsync()
    {
        List<HelperClient> expired;
        await _gate.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            expired = Expired(_time.GetUtcNow());
        }
        finally
        {
            _gate.Release();
        }

        foreach (var old in expired)
        {
            await old.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Removes (under the gate) the helpers that failed or idled out; the caller disposes them outside it.</summary>
    private List<HelperClient> Expired(DateTimeOffset now)
    {
        var expired = new List<HelperClient>();
        foreach (var (key, entry) in _open.Where(e => !e.Value.Client.Connection.IsOpen || now - e.Value.LastUsed > IdleTimeout).ToList())
        {
            _open.Remove(key);
            expired.Add(entry.Client);
        }

        return expired;
    }

    /// <summary>Drops a helper that failed (or can no longer be trusted to be in step) and ends it.</summary>
    public async Task DiscardAsync(HelperClient client)
    {
        await _gate.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            foreach (var key in _open.Where(e => ReferenceEquals(e.Value.Client, client)).Select(e => e.Key).ToList())
            {
                _open.Remove(key);
            }
        }
        finally
        {
            _gate.Release();
        }

        await client.DisposeAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await _sweeper.DisposeAsync().ConfigureAwait(false);
        List<Entry> open;
        await _gate.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            _disposed = true;
            open = [.. _open.Values];
            _open.Clear();
        }
        finally
        {
            _gate.Release();
        }

        foreach (var entry in open)
        {
            await entry.Client.DisposeAsync().ConfigureAwait(false);
        }
    }

    private sealed class Entry(HelperClient client)
    {
        public HelperClient Client { get; } = client;

        public DateTimeOffset LastUsed { get; set; }
    }
}
