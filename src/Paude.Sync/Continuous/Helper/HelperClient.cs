using System.IO.Hashing;
using System.Text;
using Paude.Errors;
using Paude.Sync.Files;
using Paude.Sync.Transport;

namespace Paude.Sync.Continuous.Helper;

/// <summary>
/// The operations of the session helper (PROTOCOL.md) on top of a <see cref="HelperConnection"/>, each checking what
/// comes back: paths must be plain relative paths under what was asked (<see cref="PathRules.IsSafeRelative"/>),
/// sizes within what was allowed, counts within <see cref="HelperConnectionOptions.MaxEntries"/>.
/// </summary>
internal sealed class HelperClient(HelperConnection connection, HelperConnectionOptions options) : IAsyncDisposable
{
    public HelperConnection Connection => connection;

    /// <summary>Lists <paramref name="paths"/> ("" is the whole workspace) recursively, skipping folders named in <paramref name="excludeNames"/>.</summary>
    public async Task<IReadOnlyList<HelperEntry>> ListAsync(IReadOnlyCollection<string> paths, IReadOnlyCollection<string> excludeNames, bool hash, CancellationToken cancellationToken)
    {
        var payload = new HelperPayloadWriter().U8(hash ? (byte)1 : (byte)0).Strings(paths).Strings(excludeNames);
        var (id, replies) = await connection.SendAsync(HelperWire.List, payload, cancellationToken).ConfigureAwait(false);
        var entries = new List<HelperEntry>();
        try
        {
            while (true)
            {
                var frame = await connection.NextAsync(replies, cancellationToken).ConfigureAwait(false);
                if (frame.Type == HelperWire.ListEnd) return entries;
                if (frame.Type != HelperWire.Entry) throw connection.Fail(HelperConnection.Unexpected(frame.Type, "list"));
                if (entries.Count >= options.MaxEntries) throw connection.Fail(new UnsafeContentException("session helper", $"listed more than {options.MaxEntries} entries"));
                entries.Add(ParseEntry(frame.Payload, paths, hash));
            }
        }
        catch (UnsafeContentException e) { throw connection.Fail(e); }
        finally { connection.Finish(id); }
    }

    /// <summary>Reads one file into <paramref name="destination"/>; more than <paramref name="maxBytes"/> bytes ends the connection.</summary>
    public async Task<HelperFileInfo> ReadAsync(string path, Stream destination, long maxBytes, CancellationToken cancellationToken)
    {
        var payload = new HelperPayloadWriter().String(path).U64((ulong)maxBytes);
        var (id, replies) = await connection.SendAsync(HelperWire.Read, payload, cancellationToken).ConfigureAwait(false);
        long received = 0;
        var hasher = new XxHash128();
        try
        {
            while (true)
            {
                var frame = await connection.NextAsync(replies, cancellationToken).ConfigureAwait(false);
                if (frame.Type == HelperWire.Data)
                {
                    received += frame.Payload.Length;
                    if (received > maxBytes) throw connection.Fail(new UnsafeContentException(Shown(path), $"is larger than the {maxBytes} bytes allowed"));
                    hasher.Append(frame.Payload);
                    await destination.WriteAsync(frame.Payload, cancellationToken).ConfigureAwait(false);
                    continue;
                }
                if (frame.Type != HelperWire.ReadEnd) throw connection.Fail(HelperConnection.Unexpected(frame.Type, "read"));
                var r = new HelperPayloadReader(frame.Payload);
                var info = new HelperFileInfo((long)r.U64(), r.I64(), (int)(r.U32() & 0xFFF), r.Bytes(HelperWire.HashBytes));
                r.End();
                if (info.Size != received) throw connection.Fail(new UnsafeContentException(Shown(path), $"was announced as {info.Size} bytes but {received} came"));
                // Callers record this hash as what the session holds (the two-way base): it must be the data's.
                if (!hasher.GetCurrentHash().AsSpan().SequenceEqual(info.Hash)) throw connection.Fail(new UnsafeContentException(Shown(path), "came with a hash that is not the hash of its data"));
                return info;
            }
        }
        catch (UnsafeContentException e) { throw connection.Fail(e); }
        finally { connection.Finish(id); }
    }

    /// <summary>Writes a file atomically in the session (temporary file + rename, no link followed); returns its content hash.</summary>
    public async Task<byte[]> WriteAsync(string path, Stream content, long length, HelperWriteOptions write, CancellationToken cancellationToken)
    {
        byte flags = (byte)((write.CreateParents ? 1 : 0) | (write.IfAbsent ? 2 : 0) | (write.IfMatch is not null ? 4 : 0) | (write.MTimeNs is not null ? 8 : 0));
        var payload = new HelperPayloadWriter().String(path).U32((uint)write.Mode).U8(flags).I64(write.MTimeNs ?? 0);
        if (write.IfMatch is not null) payload.Raw(write.IfMatch);
        payload.U64((ulong)length);
        var (id, replies) = await connection.SendAsync(HelperWire.WriteBegin, payload, cancellationToken).ConfigureAwait(false);
        bool ended = false;
        long sent = 0;
        try
        {
            var buffer = new byte[HelperWire.ChunkSize];
            var hasher = new XxHash128();
            while (sent < length)
            {
                int n = await content.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, length - sent)), cancellationToken).ConfigureAwait(false);
                if (n == 0) throw new IOException($"{path}: the content ended after {sent} of {length} bytes");
                hasher.Append(buffer.AsSpan(0, n));
                await connection.ContinueAsync(HelperWire.WriteChunk, id, buffer.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
                sent += n;
                // An early error (bad path, link on the way) arrives while chunks are sent: stop sending then.
                if (replies.TryPeek(out _)) break;
            }
            if (sent == length)
            {
                await connection.ContinueAsync(HelperWire.WriteEnd, id, ReadOnlyMemory<byte>.Empty, cancellationToken).ConfigureAwait(false);
                ended = true;
            }
            var frame = await connection.NextAsync(replies, cancellationToken).ConfigureAwait(false);
            if (frame.Type != HelperWire.Ok) throw connection.Fail(HelperConnection.Unexpected(frame.Type, "write"));
            var r = new HelperPayloadReader(frame.Payload);
            var hash = r.Bytes(HelperWire.HashBytes);
            r.End();
            // Callers record this hash as what the session now holds: an Ok before all data went out, or for other
            // content than was sent, is a lie (a hostile helper), never a write to record.
            if (sent != length) throw connection.Fail(new UnsafeContentException(Shown(path), $"was reported written after {sent} of {length} bytes"));
            if (!hasher.GetCurrentHash().AsSpan().SequenceEqual(hash)) throw connection.Fail(new UnsafeContentException(Shown(path), "was reported written with another content than was sent"));
            return hash;
        }
        catch (UnsafeContentException e) { throw connection.Fail(e); }
        catch (Exception) when (!ended && connection.IsOpen)
        {
            // The host gave the write up before its end (the local file shrank while it was read, or the caller
            // cancelled): end it in the helper too, or the helper keeps it open and refuses every later write on this
            // connection ("a write is already open") — a two-way loop then never settled again.
            await GiveUpWriteAsync(id, length - sent).ConfigureAwait(false);
            throw;
        }
        finally { connection.Finish(id); }
    }

    /// <summary>
    /// Ends an open write without committing it (PROTOCOL.md has no abort message). When what is left fits in one chunk,
    /// one byte more than announced: the helper refuses it (TooLarge) before writing, removes the temporary file and
    /// stays usable. Otherwise a WriteEnd short of the announced size, which the helper takes as a broken stream and
    /// ends on: the connection is lost and its user reconnects (the two-way loop does, in its next round). Best effort:
    /// a connection that fails meanwhile ends the helper, and its open write with it.
    /// </summary>
    private async Task GiveUpWriteAsync(uint id, long left)
    {
        try
        {
            if (left < HelperWire.ChunkSize) await connection.ContinueAsync(HelperWire.WriteChunk, id, new byte[left + 1], CancellationToken.None).ConfigureAwait(false);
            else await connection.ContinueAsync(HelperWire.WriteEnd, id, ReadOnlyMemory<byte>.Empty, CancellationToken.None).ConfigureAwait(false);
        }
        catch (HelperChannelException) { }
    }

    /// <summary>Deletes a file, link or (empty, or with <paramref name="recursive"/>) folder; with <paramref name="ifMatch"/> only that exact file content.</summary>
    public Task DeleteAsync(string path, bool recursive, byte[]? ifMatch, CancellationToken cancellationToken)
    {
        var payload = new HelperPayloadWriter().String(path).U8((byte)((recursive ? 1 : 0) | (ifMatch is not null ? 2 : 0)));
        if (ifMatch is not null) payload.Raw(ifMatch);
        return ExpectOkAsync(HelperWire.Delete, payload, "delete", cancellationToken);
    }

    /// <summary>Makes a folder (and its parents with <paramref name="parents"/>); an existing folder is fine.</summary>
    public Task MkdirAsync(string path, int mode, bool parents, CancellationToken cancellationToken) =>
        ExpectOkAsync(HelperWire.Mkdir, new HelperPayloadWriter().String(path).U32((uint)mode).U8(parents ? (byte)1 : (byte)0), "mkdir", cancellationToken);

    /// <summary>Runs <c>git -C &lt;workspace&gt; args</c> in the session; stdout beyond <paramref name="maxStdout"/> is cut (Truncated).</summary>
    public async Task<HelperGitResult> GitAsync(IReadOnlyCollection<string> args, long maxStdout, CancellationToken cancellationToken)
    {
        var stdout = new MemoryStream();
        var result = await GitAsync(args, stdout, maxStdout, cancellationToken).ConfigureAwait(false);
        return result with { StandardOutput = stdout.ToArray() };
    }

    /// <summary>
    /// Runs <c>git -C &lt;workspace&gt; args</c> in the session, streaming its stdout into <paramref name="stdout"/>
    /// (a pack: never held whole); more than <paramref name="maxStdout"/> bytes ends the connection. The result's
    /// <see cref="HelperGitResult.StandardOutput"/> is empty.
    /// </summary>
    public async Task<HelperGitResult> GitAsync(IReadOnlyCollection<string> args, Stream stdout, long maxStdout, CancellationToken cancellationToken)
    {
        var (id, replies) = await connection.SendAsync(HelperWire.Git, new HelperPayloadWriter().Strings(args).U64((ulong)maxStdout), cancellationToken).ConfigureAwait(false);
        long received = 0;
        try
        {
            while (true)
            {
                var frame = await connection.NextAsync(replies, cancellationToken).ConfigureAwait(false);
                if (frame.Type == HelperWire.Data)
                {
                    received += frame.Payload.Length;
                    if (received > maxStdout) throw connection.Fail(new UnsafeContentException("git output", $"exceeds the {maxStdout} bytes allowed"));
                    await stdout.WriteAsync(frame.Payload, cancellationToken).ConfigureAwait(false);
                    continue;
                }
                if (frame.Type != HelperWire.GitEnd) throw connection.Fail(HelperConnection.Unexpected(frame.Type, "git"));
                var r = new HelperPayloadReader(frame.Payload);
                var result = new HelperGitResult(unchecked((int)r.U32()), [], r.U8() != 0, r.Blob());
                r.End();
                return result;
            }
        }
        catch (UnsafeContentException e) { throw connection.Fail(e); }
        finally { connection.Finish(id); }
    }

    /// <summary>
    /// Starts watching the workspace and yields its changes until cancelled or the connection ends (then
    /// <see cref="HelperChannelException"/>). Events with unsafe paths end the connection.
    /// </summary>
    public async IAsyncEnumerable<HelperChange> WatchAsync(IReadOnlyCollection<string> excludeNames, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var (id, replies) = await connection.SendAsync(HelperWire.Watch, new HelperPayloadWriter().Strings(excludeNames), cancellationToken, isWatch: true).ConfigureAwait(false);
        var started = await connection.NextAsync(replies, cancellationToken).ConfigureAwait(false);
        connection.Finish(id);
        if (started.Type != HelperWire.WatchStarted) throw connection.Fail(HelperConnection.Unexpected(started.Type, "watch"));
        while (true)
        {
            var frame = await connection.NextEventAsync(cancellationToken).ConfigureAwait(false);
            if (frame.Type == HelperWire.Overflow) { yield return new HelperChange(HelperChangeKind.Overflow, false, ""); continue; }
            yield return ParseChange(frame.Payload);
        }
    }

    private HelperChange ParseChange(byte[] payload)
    {
        try { return ParseChangeUnguarded(payload); }
        catch (UnsafeContentException e) { throw connection.Fail(e); }
    }

    private HelperChange ParseChangeUnguarded(byte[] payload)
    {
        var r = new HelperPayloadReader(payload);
        var kind = (HelperChangeKind)r.U8();
        bool isDir = r.U8() != 0;
        string path = r.String();
        r.End();
        if (kind is < HelperChangeKind.Created or > HelperChangeKind.MovedTo) throw connection.Fail(new UnsafeContentException(Shown(path), $"came with unknown change kind {(byte)kind}"));
        CheckPath(path);
        return new HelperChange(kind, isDir, path);
    }

    private HelperEntry ParseEntry(byte[] payload, IReadOnlyCollection<string> asked, bool hash)
    {
        try { return ParseEntryUnguarded(payload, asked, hash); }
        catch (UnsafeContentException e) { throw connection.Fail(e); }
    }

    private HelperEntry ParseEntryUnguarded(byte[] payload, IReadOnlyCollection<string> asked, bool hash)
    {
        var r = new HelperPayloadReader(payload);
        var kind = (HelperEntryKind)r.U8();
        string path = r.String();
        long size = (long)Math.Min(r.U64(), long.MaxValue);
        long mtime = r.I64();
        int mode = (int)(r.U32() & 0xFFF);
        byte[]? digest = kind == HelperEntryKind.File && hash ? r.Bytes(HelperWire.HashBytes) : null;
        string? target = kind == HelperEntryKind.Symlink ? r.String() : null;
        r.End();
        if (kind is < HelperEntryKind.File or > HelperEntryKind.Other) throw connection.Fail(new UnsafeContentException(Shown(path), $"came with unknown entry kind {(byte)kind}"));
        CheckPath(path);
        if (!asked.Any(a => a.Length == 0 || path == a || path.StartsWith(a + "/", StringComparison.Ordinal)))
            throw connection.Fail(new UnsafeContentException(Shown(path), "was listed although it is not under any path asked for"));
        return new HelperEntry(kind, path, size, mtime, mode, digest, target);
    }

    private void CheckPath(string path)
    {
        if (!PathRules.IsSafeRelative(path)) throw connection.Fail(new UnsafeContentException(Shown(path), "is not a plain relative path inside the workspace"));
    }

    private async Task ExpectOkAsync(byte type, HelperPayloadWriter payload, string what, CancellationToken cancellationToken)
    {
        var frame = await connection.RequestAsync(type, payload, cancellationToken).ConfigureAwait(false);
        if (frame.Type != HelperWire.Ok) throw connection.Fail(HelperConnection.Unexpected(frame.Type, what));
        try { new HelperPayloadReader(frame.Payload).End(); }
        catch (UnsafeContentException e) { throw connection.Fail(e); }
    }

    public ValueTask DisposeAsync() => connection.DisposeAsync();

    // A path the helper sent is untrusted text: it reaches exception messages (terminals, logs) only printable and bounded.
    private static string Shown(string path) => PktLine.Printable(Encoding.UTF8.GetBytes(path));
}
