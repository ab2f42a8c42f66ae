using System.Text;
using Paude.Sessions;
using Paude.Sync.Continuous.Helper;

namespace Paude.Sync.Continuous.TwoWay;

/// <summary>
/// Continuous git fetch beside two-way sync (<see cref="TwoWaySyncOptions.FetchCommits"/>): asks the open helper for
/// the session's HEAD (one <c>git rev-parse</c>, milliseconds) and only when it moved runs an ordinary branch-strategy
/// pull (<see cref="ISessionSync"/>) over the same helper (HelperFetch; the exec of <c>git-upload-pack</c> only when
/// the helper cannot tell or fails), which writes <c>&lt;prefix&gt;&lt;session&gt;</c> alone and refuses while that
/// branch is checked out — a branch the user works on is never moved. A failed or refused fetch is tried again with
/// back-off (from <see cref="TwoWaySyncOptions.FetchInterval"/>, doubling, at most
/// <see cref="WatchSyncOptions.MaxRetryDelay"/>) even if HEAD does not move: a passing fault (a lock, a dropped exec)
/// must not leave the branch behind until the agent's next commit.
/// </summary>
internal sealed class CommitFetcher(ISessionSync sync, SessionName session, string root, TwoWaySyncOptions options, TimeProvider time)
{
    private const long MaxRevParseBytes = 256;
    private string? _fetched;
    private int _failures;
    private long _retryAt;

    /// <summary>What the last fetch that did anything brought, or why it failed.</summary>
    public sealed record Outcome(int Commits, string? Head, Exception? Error);

    /// <summary>
    /// Fetches when the session's HEAD moved since the last good fetch (after a failure: once its back-off is over);
    /// <c>null</c> when there was nothing to do.
    /// </summary>
    public async Task<Outcome?> FetchIfMovedAsync(HelperClient client, CancellationToken cancellationToken)
    {
        if (_failures > 0 && time.GetTimestamp() < _retryAt)
        {
            return null;
        }

        var head = await client.GitAsync(["rev-parse", "--verify", "-q", "HEAD"], MaxRevParseBytes, cancellationToken).ConfigureAwait(false);
        // No repository or no commit yet (exit code not 0): nothing to fetch. The helper's output is untrusted: only
        // a well-formed object name is compared, and it is never used as anything but a "did it move" key.
        var sha = head.ExitCode == 0 ? Encoding.ASCII.GetString(head.StandardOutput).Trim() : null;
        if (sha is null || sha.Length is not (40 or 64) || !sha.All(char.IsAsciiHexDigitLower) || sha == _fetched)
        {
            return null;
        }

        try
        {
            var pull = new SyncOptions
            {
                Direction = SyncDirection.FromSession,
                Strategy = SyncStrategy.Branch,
                SessionWorkspace = options.SessionWorkspace,
                Backend = options.Backend,
                Excludes = options.Excludes,
                BranchPrefix = options.BranchPrefix,
            };
            // The SDK's own sync fetches over this open helper (a bundle, no exec); another ISessionSync (a
            // decorator someone registered) does it its own way.
            var result = sync is SessionSync own
                ? await own.SyncAsync(session, root, pull, null, client, cancellationToken).ConfigureAwait(false)
                : await sync.SyncAsync(session, root, pull, null, cancellationToken).ConfigureAwait(false);
            _fetched = sha;
            _failures = 0;
            return new Outcome(result.CommitsTransferred, result.Commit, null);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            var delay = options.FetchInterval.Ticks * Math.Pow(2, Math.Min(_failures++, 30));
            _retryAt = time.GetTimestamp() + (long)(Math.Min(delay, options.MaxRetryDelay.Ticks) * time.TimestampFrequency / TimeSpan.TicksPerSecond);
            return new Outcome(0, sha, e);
        }
    }
}
