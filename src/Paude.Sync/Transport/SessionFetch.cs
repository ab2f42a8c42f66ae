using LibGit2Sharp;
using Paude.Execution;
using Paude.Sessions;

namespace Paude.Sync.Transport;

/// <summary>
/// Fetches the session's <c>HEAD</c> in one exec with git's wire protocol v2, speaking it directly instead of
/// through libgit2's fetch.
/// </summary>
/// <remarks>
/// Why (measured, issue 3): the time of a fetch is the exec plus git's <c>upload-pack</c>/<c>pack-objects</c> in the
/// container, which <c>git fetch</c> pays too; what the SDK can save is its own work around it. libgit2's fetch
/// needs a named remote (two <c>.git/config</c> rewrites), a ref advertisement of every ref, a temporary tracking
/// ref with its reflog and <c>FETCH_HEAD</c>. Here the request is fixed and fully known up front: <c>ls-refs</c>
/// for <c>HEAD</c> only, then — only when that commit is not already local — one <c>fetch</c> with our ref tips as
/// haves and <c>done</c> (no negotiation rounds: the haves are what we have). The pack streams straight into
/// libgit2's indexer (<see cref="PackIndexer"/>), which verifies it. No ref is written here: the caller names the
/// commit. A session whose git does not speak v2 gets the libgit2 fetch (<see cref="SessionGit"/>).
/// Untrusted input: pkt-line framing and lengths are checked, the only value taken from the session's text is a
/// 40-hex object id (ref names it sends are ignored), the pack is bounded by <c>maxPackBytes</c> and verified.
/// </remarks>
internal static class SessionFetch
{
    /// <summary>Default bound of a pack from a session (a larger one is refused).</summary>
    public const long DefaultMaxPackBytes = 16L * 1024 * 1024 * 1024;

    /// <summary>
    /// glibc's malloc gives the top of the heap back at every free above 128 KiB and grows it again at the next
    /// allocation; <c>pack-objects</c> does that per object (2,400 <c>brk</c> calls for 600 objects, half its
    /// system time). Keeping 64 MiB of slack halves its CPU time (measured in the agent image: 10 packs of 200
    /// commits 2.1 s → 1.0-1.4 s wall, 0.76 s → 0.35 s system). Only address space is reserved; musl ignores it.
    /// </summary>
    private static readonly KeyValuePair<string, string> MallocTunables = new("GLIBC_TUNABLES", "glibc.malloc.trim_threshold=67108864:glibc.malloc.top_pad=67108864");

    /// <summary>At most this many haves are sent (enough to find common history; thousands of tags would not help).</summary>
    public const int MaxHaves = 256;

    /// <summary>
    /// Fetches the objects of the session's <c>HEAD</c>; returns its commit (<c>null</c> when the session's repository
    /// has no commits) and the bytes that crossed the channel.
    /// </summary>
    /// <exception cref="NotAGitRepositoryException">The session path is not a git repository.</exception>
    /// <exception cref="SyncTransportException">
    /// The session's git failed, sent something invalid, or sent nothing for <paramref name="streamIdleTimeout"/>; nothing was written.
    /// </exception>
    public static async Task<(Commit? Head, long Bytes)> FetchHeadAsync(
        Repository repo, ISessionBackend backend, SessionName session, string path, IReadOnlyList<ObjectId> haves, long maxPackBytes,
        TimeSpan streamIdleTimeout, TimeProvider time, CancellationToken cancellationToken)
    {
        var spec = new ProcessSpec(["git-upload-pack", path])
        {
            RedirectStandardInput = true,
            Environment = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["GIT_PROTOCOL"] = "version=2",
                [MallocTunables.Key] = MallocTunables.Value,
            },
        };
        var process = await backend.StartProcessAsync(session, spec, cancellationToken).ConfigureAwait(false);
        var stdout = new IdleTimeoutStream(process.StandardOutput, streamIdleTimeout, time, session, "a git fetch");
        var connection = new UploadPackConnection(process, stdout, cancellationToken);
        var done = false;
        try
        {
            ObjectId? head;
            try
            {
                head = await ListHeadAsync(connection).ConfigureAwait(false);
            }
            catch (ProtocolV2UnsupportedException)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
                return await LegacyFetchAsync(repo, backend, session, path, connection.Bytes, streamIdleTimeout, time, cancellationToken).ConfigureAwait(false);
            }

            if (head is not null && !repo.ObjectDatabase.Contains(head))
            {
                await FetchPackAsync(connection, repo, head, haves, maxPackBytes).ConfigureAwait(false);
            }

            done = true;
            return (head is null ? null : Peel(repo, head), connection.Bytes);
        }
        catch (SyncTransportException ex) when (!done)
        {
            throw await connection.ExplainAsync(ex, backend, session, path).ConfigureAwait(false);
        }
        finally
        {
            if (done)
            {
                // The exchange is complete: closing stdin lets upload-pack exit; reaping it in the background saves
                // the exec's teardown on every sync (as git fetch does not: it waits for its transport to exit).
                connection.FinishInBackground();
            }
            else
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>Capability advertisement, then <c>ls-refs</c> for <c>HEAD</c>; <c>null</c> when HEAD is unborn.</summary>
    private static async Task<ObjectId?> ListHeadAsync(UploadPackConnection connection)
    {
        var request = new MemoryStream();
        PktLine.Append(request, "command=ls-refs\n");
        PktLine.AppendDelimiter(request);
        PktLine.Append(request, "ref-prefix HEAD\n");
        PktLine.AppendFlush(request);

        // Sent before the advertisement is read (the pipe holds it): one round trip less.
        await connection.SendAsync(request).ConfigureAwait(false);
        var first = await connection.ReadLineAsync().ConfigureAwait(false);
        if (first != "version 2")
        {
            throw new ProtocolV2UnsupportedException();
        }

        string? line;
        while ((line = await connection.ReadLineAsync().ConfigureAwait(false)) is not null)
        {
            if (line.StartsWith("object-format=", StringComparison.Ordinal) && line != "object-format=sha1")
            {
                throw new SyncTransportException($"The session's repository uses '{line}'; only SHA-1 repositories are supported.");
            }

            connection.ServerAdvertisesObjectFormat |= line.StartsWith("object-format=", StringComparison.Ordinal);
        }

        ObjectId? head = null;
        while ((line = await connection.ReadLineAsync().ConfigureAwait(false)) is not null)
        {
            // "<oid> HEAD[ attributes]": only the id is used, and only when it is one.
            var parts = line.Split(' ');
            if (parts.Length < 2 || parts[1] != "HEAD" || head is not null || !IsObjectId(parts[0]))
            {
                throw new SyncTransportException($"The session's git sent an unexpected ref listing line '{PktLine.Printable(System.Text.Encoding.UTF8.GetBytes(line))}'.");
            }

            head = new ObjectId(parts[0]);
        }

        return head;
    }

    private static async Task FetchPackAsync(UploadPackConnection connection, Repository repo, ObjectId want, IReadOnlyList<ObjectId> haves, long maxPackBytes)
    {
        var request = new MemoryStream();
        PktLine.Append(request, "command=fetch\n");
        if (connection.ServerAdvertisesObjectFormat)
        {
            PktLine.Append(request, "object-format=sha1\n");
        }

        PktLine.AppendDelimiter(request);
        PktLine.Append(request, "thin-pack\n");
        PktLine.Append(request, "no-progress\n");
        PktLine.Append(request, "ofs-delta\n");
        PktLine.Append(request, $"want {want.Sha}\n");
        foreach (var have in haves.Take(MaxHaves))
        {
            PktLine.Append(request, $"have {have.Sha}\n");
        }

        PktLine.Append(request, "done\n");
        PktLine.AppendFlush(request);
        await connection.SendAsync(request).ConfigureAwait(false);

        var section = await connection.ReadLineAsync().ConfigureAwait(false);
        if (section != "packfile")
        {
            throw new SyncTransportException($"The session's git answered the fetch with '{PktLine.Printable(System.Text.Encoding.UTF8.GetBytes(section ?? "(flush)"))}' instead of a pack.");
        }

        using var indexer = PackIndexer.Open(repo);
        await connection.ReceivePackAsync(indexer, maxPackBytes).ConfigureAwait(false);
        var existed = Directory.GetFiles(indexer.PackDirectory, "pack-*.idx").ToHashSet(StringComparer.Ordinal);
        var index = indexer.Commit();
        indexer.VerifyConnectivity(index, existed.Contains(index));
    }

    private static Commit Peel(Repository repo, ObjectId id) =>
        repo.Lookup(id) as Commit
        ?? throw new SyncTransportException($"The session's HEAD {id.Sha} is not a commit that arrived in the pack.");

    private static bool IsObjectId(string text) =>
        text.Length == 40 && text.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f');

    /// <summary>A session whose git ignores <c>GIT_PROTOCOL</c> (older than 2.18): libgit2's v0 fetch, into a temporary ref.</summary>
    private static async Task<(Commit? Head, long Bytes)> LegacyFetchAsync(Repository repo, ISessionBackend backend, SessionName session, string path, long bytesSoFar, TimeSpan idle, TimeProvider time, CancellationToken cancellationToken)
    {
        var temporary = $"refs/paude/incoming/{session.Value}";
        var bytes = await SessionGit.FetchAsync(repo, backend, session, path, [$"+HEAD:{temporary}"], idle, time, cancellationToken).ConfigureAwait(false);
        try
        {
            return (repo.Refs[temporary]?.ResolveToDirectReference()?.Target as Commit, bytesSoFar + bytes);
        }
        finally
        {
            if (repo.Refs[temporary] is not null)
            {
                repo.Refs.Remove(temporary);
            }
        }
    }

    private sealed class ProtocolV2UnsupportedException() : Exception("The session's git does not speak protocol v2.");
}
