using System.Text;
using LibGit2Sharp;
using Paude.Errors;
using Paude.Sync.Continuous.Helper;

namespace Paude.Sync.Transport;

/// <summary>
/// Fetches the session's <c>HEAD</c> through an open session helper (<see cref="SyncOptions.UseSessionHelper"/>):
/// no exec at all, three git commands the helper runs (milliseconds each).
/// <list type="number">
/// <item><c>git rev-parse --verify -q HEAD^{commit}</c>: when that commit is already local, nothing more is asked.</item>
/// <item><c>git rev-list --no-walk --ignore-missing &lt;haves&gt;</c>: which of our ref tips the session has (a bundle
/// refuses an unknown one, where upload-pack's negotiation would skip it).</item>
/// <item><c>git bundle create - HEAD --not &lt;common&gt;</c>: a thin pack of exactly what we lack, behind a short
/// header, streamed frame by frame into libgit2's indexer (<see cref="PackIndexer"/>), never held whole.</item>
/// </list>
/// Untrusted input as in <see cref="SessionFetch"/>: only 40-hex object ids are taken from the text, the header is
/// bounded and must name <c>HEAD</c> once, the pack is bounded by <c>maxPackBytes</c>, verified by the indexer and
/// checked for connectivity before anything names it; a failed fetch leaves no pack behind.
/// </summary>
internal static class HelperFetch
{
    /// <summary>The helper runs at most 64 git arguments; the rest of the haves are left out (they only save bytes).</summary>
    public const int MaxHaves = 56;

    private const int MaxHeaderBytes = 64 * 1024;

    /// <summary>
    /// The session's HEAD commit (its objects now local) and the bytes received; <c>null</c> when this path cannot tell
    /// (no repository, no commit yet, HEAD moved onto a local commit meanwhile): the caller takes the exec path, which
    /// reports those cases.
    /// </summary>
    /// <exception cref="SyncTransportException">The session sent something invalid or its git failed; nothing was written.</exception>
    public static async Task<(Commit Head, long Bytes)?> TryFetchHeadAsync(HelperClient client, Repository repo, IReadOnlyList<ObjectId> haves, long maxPackBytes, CancellationToken cancellationToken)
    {
        var probe = await client.GitAsync(["rev-parse", "--verify", "-q", "HEAD^{commit}"], 256, cancellationToken).ConfigureAwait(false);
        long bytes = probe.StandardOutput.Length;
        if (probe.ExitCode != 0)
        {
            return null;
        }

        var head = ObjectIdOf(Encoding.ASCII.GetString(probe.StandardOutput).TrimEnd('\n'), "its HEAD");
        if (repo.ObjectDatabase.Contains(head))
        {
            return (Peel(repo, head), bytes);
        }

        var offered = haves.Take(MaxHaves).Select(h => h.Sha).ToList();
        var common = new List<string>();
        if (offered.Count > 0)
        {
            var known = await client.GitAsync(["rev-list", "--no-walk", "--ignore-missing", .. offered], 64L * MaxHaves, cancellationToken).ConfigureAwait(false);
            bytes += known.StandardOutput.Length;
            var asked = offered.ToHashSet(StringComparer.Ordinal);
            common.AddRange(Encoding.ASCII.GetString(known.StandardOutput).Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(asked.Contains));
        }

        using var indexer = PackIndexer.Open(repo);
        var sink = new BundleSink(indexer, maxPackBytes);
        var bundle = await client.GitAsync(["bundle", "create", "-", "HEAD", .. common.Count > 0 ? ["--not", .. common] : Array.Empty<string>()], sink, maxPackBytes + MaxHeaderBytes, cancellationToken).ConfigureAwait(false);
        bytes += sink.Received;
        if (bundle.ExitCode != 0 && sink.Head is null)
        {
            // "Refusing to create empty bundle": HEAD moved onto a commit we have since the probe.
            return null;
        }

        if (bundle.ExitCode != 0 || bundle.Truncated || sink.Head is null || !sink.InPack)
        {
            throw new SyncTransportException($"The session's git bundle failed (exit {bundle.ExitCode}): {PktLine.Printable(bundle.StandardError.AsSpan(0, Math.Min(bundle.StandardError.Length, 1000)))}");
        }

        var existed = Directory.GetFiles(indexer.PackDirectory, "pack-*.idx").ToHashSet(StringComparer.Ordinal);
        var index = indexer.Commit();
        indexer.VerifyConnectivity(index, existed.Contains(index));
        return (Peel(repo, sink.Head), bytes);
    }

    private static Commit Peel(Repository repo, ObjectId id) =>
        repo.Lookup(id) as Commit
        ?? throw new SyncTransportException($"The session's HEAD {id.Sha} is not a commit that arrived in the pack.");

    private static ObjectId ObjectIdOf(string text, string what) =>
        text.Length == 40 && text.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f')
            ? new ObjectId(text)
            : throw new SyncTransportException($"The session's git sent '{PktLine.Printable(Encoding.UTF8.GetBytes(text.Length > 80 ? text[..80] : text))}' as {what}.");

    /// <summary>
    /// Takes a bundle's bytes as they arrive: the header (<c># v2 git bundle</c> or v3 with SHA-1 only, prerequisite
    /// lines, ref lines, an empty line; at most 64 KiB) is parsed for the one <c>HEAD</c> line, everything after it goes
    /// to the indexer, at most <c>maxPackBytes</c>.
    /// </summary>
    private sealed class BundleSink(PackIndexer indexer, long maxPackBytes) : Stream
    {
        private readonly MemoryStream _header = new();

        public ObjectId? Head { get; private set; }

        /// <summary>Whether the header ended (the pack started).</summary>
        public bool InPack { get; private set; }

        public long Received { get; private set; }

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count)
        {
            Received += count;
            if (!InPack)
            {
                // The header ends at the first empty line ("\n\n"); parsed once it is whole.
                var start = (int)_header.Length;
                _header.Write(buffer, offset, count);
                var text = _header.GetBuffer().AsSpan(0, (int)_header.Length);
                var end = text.IndexOf("\n\n"u8);
                if (end < 0)
                {
                    if (_header.Length > MaxHeaderBytes)
                    {
                        throw new SyncTransportException($"The session's bundle header exceeds {MaxHeaderBytes} bytes.");
                    }

                    return;
                }

                ParseHeader(text[..(end + 1)]);
                InPack = true;
                var packStart = end + 2 - start;
                (offset, count) = (offset + packStart, count - packStart);
            }

            if (indexer.Received + count > maxPackBytes)
            {
                throw new SyncTransportException($"The pack from the session exceeds the limit of {maxPackBytes} bytes; nothing was written.");
            }

            if (count > 0)
            {
                indexer.Append(buffer, offset, count);
            }
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            Write(buffer, offset, count);
            return Task.CompletedTask;
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var array = buffer.ToArray();
            Write(array, 0, array.Length);
            return ValueTask.CompletedTask;
        }

        private void ParseHeader(ReadOnlySpan<byte> header)
        {
            var lines = Encoding.UTF8.GetString(header).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            if (lines.Length == 0 || lines[0] is not ("# v2 git bundle" or "# v3 git bundle"))
            {
                throw new SyncTransportException($"The session sent '{Shown(lines.FirstOrDefault() ?? string.Empty)}' instead of a git bundle.");
            }

            foreach (var line in lines.Skip(1))
            {
                if (line[0] == '@')
                {
                    // v3 capabilities: only SHA-1 repositories are supported (as by the exec fetch).
                    if (line.StartsWith("@object-format=", StringComparison.Ordinal) && line != "@object-format=sha1")
                    {
                        throw new SyncTransportException($"The session's repository uses '{Shown(line)}'; only SHA-1 repositories are supported.");
                    }

                    continue;
                }

                if (line[0] == '-')
                {
                    // A prerequisite (a commit we said we have): the indexer resolves thin bases only from local objects.
                    _ = ObjectIdOf(line.Length >= 41 ? line[1..41] : line, "a bundle prerequisite");
                    continue;
                }

                var space = line.IndexOf(' ', StringComparison.Ordinal);
                var id = ObjectIdOf(space < 0 ? line : line[..space], "a bundle ref");
                if (space < 0 || line[(space + 1)..] != "HEAD" || Head is not null)
                {
                    throw new SyncTransportException($"The session's bundle names '{Shown(line)}', not HEAD once.");
                }

                Head = id;
            }

            if (Head is null)
            {
                throw new SyncTransportException("The session's bundle names no HEAD.");
            }
        }

        private static string Shown(string text) => PktLine.Printable(Encoding.UTF8.GetBytes(text.Length > 80 ? text[..80] : text));

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
