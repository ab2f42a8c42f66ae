using System.IO.Hashing;
using System.Security.Cryptography;
using System.Text;
using Paude.Sync.Continuous.Helper;
using Paude.Sync.Files;

namespace Paude.Sync.Git;

/// <summary>
/// The incremental push of files (no new commits, not forced) through an open session helper
/// (<see cref="SyncOptions.UseSessionHelper"/>): the same checks as <see cref="PushScripts.Apply"/>, with no exec.
/// <list type="number">
/// <item><c>git rev-parse HEAD^{commit} --symbolic-full-name HEAD</c> must name the last pushed commit on the branch,
/// else the caller takes the full path (<see cref="Outcome.StateMoved"/>).</item>
/// <item>Each path to replace is read back (bounded) and hashed on the host: it must hold what the last push left
/// (expected) or already what this push brings (new); anything else — an agent's edit, a link, a folder — refuses
/// the whole push by name before anything changes.</item>
/// <item>Deletions, then writes: each is a compare-and-swap against exactly the content just read (the helper's
/// <c>ifMatch</c>/<c>ifAbsent</c>: an edit the agent makes meanwhile is refused, never overwritten), written to a
/// temporary file and renamed (readers see the old or the new file), never through a link.</item>
/// </list>
/// Larger pushes (more than <see cref="MaxOps"/> paths or <see cref="MaxBytes"/> bytes either way), a folder in the
/// way and a forced push take the script (<see cref="Outcome.UseScript"/>), which handles them; what was placed before
/// already holds the new content, which the script accepts.
/// </summary>
internal sealed class HelperPush(SyncContext context, HelperClient helper)
{
    /// <summary>Most paths a push may replace through the helper.</summary>
    public const int MaxOps = 256;

    /// <summary>Most bytes read back plus written through the helper in one push.</summary>
    public const long MaxBytes = 32L * 1024 * 1024;

    public enum Outcome
    {
        /// <summary>Every write and deletion was applied.</summary>
        Done,

        /// <summary>The session is not where the last push left it: nothing was changed; the full path decides.</summary>
        StateMoved,

        /// <summary>Beyond this path's limits: nothing more was changed here; the script takes over.</summary>
        UseScript,
    }

    /// <summary>Applies <paramref name="ops"/> (path, expected SHA-256, new SHA-256); returns the outcome and the bytes written.</summary>
    /// <exception cref="UnsafeSyncException">The session holds work of its own at some of the paths (named).</exception>
    public async Task<(Outcome Outcome, long Sent)> RunAsync(IReadOnlyList<(string Path, string? Expected, string? New)> ops, string branch, string commit, CancellationToken cancellationToken)
    {
        if (ops.Count > MaxOps)
        {
            return (Outcome.UseScript, 0);
        }

        var state = await helper.GitAsync(["rev-parse", "HEAD^{commit}", "--symbolic-full-name", "HEAD"], 512, cancellationToken).ConfigureAwait(false);
        if (state.ExitCode != 0 || Encoding.UTF8.GetString(state.StandardOutput) != $"{commit}\nrefs/heads/{branch}\n")
        {
            return (Outcome.StateMoved, 0);
        }

        // What the session holds at each path: null = absent, Other = not a regular file reached without a link.
        var held = new Dictionary<string, Held?>(StringComparer.Ordinal);
        long budget = MaxBytes;
        foreach (var (path, _, _) in ops)
        {
            var content = new MemoryStream();
            try
            {
                var info = await helper.ReadAsync(path, content, budget, cancellationToken).ConfigureAwait(false);
                budget -= info.Size;
                var bytes = content.ToArray();
                held[path] = new Held(LocalTree.Hash(bytes), XxHash128.Hash(bytes));
            }
            catch (HelperOperationException e) when (e.Code == HelperErrorCode.NotFound)
            {
                held[path] = null;
            }
            catch (HelperOperationException e) when (e.Code is HelperErrorCode.LinkRefused or HelperErrorCode.NotRegularFile or HelperErrorCode.IsDirectory or HelperErrorCode.BadPath)
            {
                held[path] = Held.Other;
            }
            catch (HelperOperationException e) when (e.Code == HelperErrorCode.TooLarge)
            {
                return (Outcome.UseScript, 0);
            }
        }

        var atRisk = ops.Where(op => held[op.Path] is var h && h?.Sha != op.Expected && h?.Sha != op.New).Select(op => op.Path).ToList();
        if (atRisk.Count > 0)
        {
            throw AtRisk(atRisk);
        }

        foreach (var (path, _, _) in ops.Where(op => op.New is null))
        {
            if (held[path] is { } present && !await ChangeAsync(path, () => helper.DeleteAsync(path, recursive: false, present.Xxh, cancellationToken)).ConfigureAwait(false))
            {
                return (Outcome.UseScript, 0);
            }
        }

        long sent = 0;
        foreach (var (path, _, newHash) in ops.Where(op => op.New is not null))
        {
            var present = held[path];
            if (present?.Sha == newHash)
            {
                continue;
            }

            var (bytes, mode, mtime) = ReadLocal(path, newHash!);
            if (bytes.Length > budget)
            {
                return (Outcome.UseScript, sent);
            }

            budget -= bytes.Length;
            var write = new HelperWriteOptions { CreateParents = true, IfAbsent = present is null, IfMatch = present?.Xxh, MTimeNs = mtime, Mode = mode };
            // The hash the helper reports for the written file is checked against the bytes sent by HelperClient.WriteAsync
            // itself (another content ends the connection: HelperChannelException, the script then re-checks and pushes).
            if (!await ChangeAsync(path, () => helper.WriteAsync(path, new MemoryStream(bytes), bytes.Length, write, cancellationToken)).ConfigureAwait(false))
            {
                return (Outcome.UseScript, sent);
            }

            sent += bytes.Length;
        }

        return (Outcome.Done, sent);
    }

    /// <summary>
    /// Runs one write or deletion; <c>false</c> when a folder stands at the path or another write is open (the
    /// script's business). A changed
    /// precondition (the agent edited the file since it was read) refuses the push by name; a link on the way is the
    /// same refusal as the script's.
    /// </summary>
    private async Task<bool> ChangeAsync(string path, Func<Task> change)
    {
        try
        {
            await change().ConfigureAwait(false);
            return true;
        }
        catch (HelperOperationException e) when (e.Code == HelperErrorCode.PreconditionFailed)
        {
            throw AtRisk([path]);
        }
        catch (HelperOperationException e) when (e.Code is HelperErrorCode.LinkRefused or HelperErrorCode.BadPath)
        {
            throw StagedUpload.Refusal(context.Session.Value, $"refused: {path}: a symbolic link or a file is on its way");
        }
        catch (HelperOperationException e) when (e.Code is HelperErrorCode.IsDirectory or HelperErrorCode.NotEmpty or HelperErrorCode.Exists)
        {
            // A folder in the way, or another sync of this session workspace writing through the same helper right
            // now (one write is open at a time): the script handles both.
            return false;
        }
    }

    /// <summary>The local file as planned: a file changed since the plan fails typed (nothing of it is written).</summary>
    private (byte[] Bytes, int Mode, long MTimeNs) ReadLocal(string path, string expected)
    {
        var full = Path.Combine(context.Workspace, path);
        try
        {
            WorkspacePath.EnsureNoLinkOnTheWay(context.Workspace, path);
            var bytes = File.ReadAllBytes(full);
            if (LocalTree.Hash(bytes) != expected)
            {
                throw new IOException($"{path} changed after the push was planned");
            }

            var mode = OperatingSystem.IsWindows() ? 0x1A4 : (int)File.GetUnixFileMode(full) & 0x1FF;
            var mtime = (File.GetLastWriteTimeUtc(full) - DateTime.UnixEpoch).Ticks * 100;
            return (bytes, mode, mtime);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw PushProcess.LocalReadFailed(context.Session.Value, e);
        }
    }

    private UnsafeSyncException AtRisk(List<string> paths) =>
        new($"Push to session '{context.Session.Value}' refused: the session has uncommitted changes of its own that the push would replace.", [], paths);

    /// <summary>A file the session holds: its SHA-256 (compared with the manifest) and XXH3-128 (the helper's precondition).</summary>
    private sealed record Held(string Sha, byte[] Xxh)
    {
        public static readonly Held Other = new("other", []);
    }
}
