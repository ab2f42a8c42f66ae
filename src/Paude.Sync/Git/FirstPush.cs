using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using LibGit2Sharp;
using Paude.Execution;
using Paude.Sync.Files;

namespace Paude.Sync.Git;

/// <summary>
/// The fast path of the first push into an empty session workspace: one exec, one tar stream holding the working
/// files and the branch's git objects, as fast as a tar pipe of the folder with its <c>.git</c>.
/// <para>
/// Why not receive-pack: building a pack means inflating, delta-searching and deflating every object (≈25 s for
/// 50 MB here), then index-pack and a checkout in the session. Loose objects are already deflated on disk and are
/// content-addressed, so they are sent as they are (only the loose objects reachable from the branch), into a
/// repository the script has just created, where nothing can be replaced. Objects of the branch that are only in a
/// pack travel in one new pack of exactly those objects (their stored entries copied where they need nothing else,
/// no delta search; the session indexes and so verifies it with <c>git index-pack</c>): the repository's packs never
/// travel, they hold other branches, stashes and other sessions' work the session must not see.
/// </para>
/// <para>
/// Staged: the session extracts everything into a staging folder and renames it into place only once the archive's
/// last entry (<c>.git/paude-end</c>) arrived and the packs verified, so an interrupted first push leaves no partly
/// written file (and the next push removes the staging folder).
/// </para>
/// <para>
/// The working tree arrives as files (the session does not need a checkout) with an index of the commit's tree (what
/// <c>git read-tree</c> would build), so the session sees the same status as the workspace: committed files clean, uncommitted
/// edits and untracked files as changes. The script refuses (exit 3, nothing changed) when the workspace is not
/// empty: the full path then checks out without overwriting the session's files.
/// </para>
/// </summary>
internal sealed class FirstPush(SyncContext context, Repository repo)
{
    /// <summary>Pushes; <c>null</c> (nothing changed) when this path cannot be used and the full path must run.</summary>
    public async Task<(SyncResult Result, Dictionary<string, string> Uploaded)?> TryRunAsync(CancellationToken cancellationToken)
    {
        var options = context.Options;
        var rules = new PathRules(options.Excludes);
        var head = repo.Head.Tip;
        var branch = repo.Head.FriendlyName;
        var branchRef = repo.Head.CanonicalName;
        string[] argv = ["bash", "-c", PushScripts.First, "bash", options.SessionWorkspace, branch, head.Sha];
        var starting = context.Backend.StartProcessAsync(context.Session, new ProcessSpec(argv) { RedirectStandardInput = true }, cancellationToken);
        context.Report(SyncStage.Checking, "Collecting the branch's objects and the working files");
        FirstPushPlan? plan;
        try
        {
            plan = FirstPushPlan.Create(repo, head, GitHistory.Dirty(repo, _ => false), rules.IsExcluded, cancellationToken);
        }
        catch
        {
            await PushProcess.AbandonAsync(starting).ConfigureAwait(false);
            throw;
        }

        if (plan is null)
        {
            await PushProcess.AbandonAsync(starting).ConfigureAwait(false);
            return null;
        }

        context.Report(SyncStage.Transferring, $"Pushing {plan.Commits} commit(s) and {plan.Files.Count} file(s)");
        var process = await starting.ConfigureAwait(false);
        await using (process.ConfigureAwait(false))
        {
            var stdout = PushProcess.ReadCappedAsync(process.StandardOutput, 4096, cancellationToken);
            var stderr = PushProcess.ReadCappedAsync(process.StandardError, 64 * 1024, cancellationToken);
            var counting = new CountingStream(context.Guarded(process.StandardInput, "a push"));
            try
            {
                // Buffered: a tar of 10,000 small entries would otherwise be ~30,000 small pipe writes. Synchronous on
                // a worker thread: async file reads cost far more per small file than the reads themselves.
                await Task.Run(
                    () =>
                    {
                        using var buffered = new BufferedStream(counting, 1024 * 1024);
                        buffered.Write("1\n"u8);
                        WriteTar(buffered, plan, branchRef, head.Sha, cancellationToken);
                        buffered.Flush();
                    },
                    cancellationToken).ConfigureAwait(false);

                await process.StandardInput.DisposeAsync().ConfigureAwait(false);
            }
            catch (IOException) when (counting.WriteFailed)
            {
                // The script stopped reading: its exit code says why.
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // A local file vanished mid-archive. Leaving stdin open here would leave the script waiting for the
                // rest forever (and this method waiting for its answer).
                throw PushProcess.LocalReadFailed(context.Session.Value, e);
            }

            var (answer, error, exit) = await PushProcess.AnswerAsync(context, process, stdout, stderr, "the first push", cancellationToken).ConfigureAwait(false);
            var output = Encoding.UTF8.GetString(answer);
            if (exit == PushScripts.StateMoved)
            {
                return null;
            }

            if (exit != 0 || output != "K\0")
            {
                throw new SyncTransportException($"The first push into session '{context.Session.Value}' failed (exit {exit}): {(error.Length > 1000 ? error[..1000] : error)}");
            }

            context.Report(SyncStage.Done, $"{plan.Commits} commit(s) and {plan.Files.Count} file(s) pushed");
            var result = new SyncResult
            {
                Strategy = options.Strategy,
                Direction = SyncDirection.ToSession,
                CommitsTransferred = plan.Commits,
                FilesChanged = [.. plan.Uploaded.Keys.Order(StringComparer.Ordinal)],
                Commit = head.Sha,
                BytesMoved = counting.Count,
                RefsWritten = [$"{context.Session.Value}:refs/heads/{branch}"],
                Warnings = [.. plan.DeletedLocally.Select(p => $"First push: '{p}' (deleted locally) was not deleted in the session.")],
            };
            return (result, plan.Uploaded);
        }
    }

    private const UnixFileMode ReadOnly = UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    private void WriteTar(Stream output, FirstPushPlan plan, string branchRef, string commit, CancellationToken cancellationToken)
    {
        using var writer = new TarWriter(output, TarEntryFormat.Gnu, leaveOpen: true);
        {
            foreach (var (id, loose) in plan.Objects)
            {
                cancellationToken.ThrowIfCancellationRequested();

                // Read-only files git wrote: no stat for a mode or owner, no read buffer (the tar writer copies in 80 KiB).
                using var data = new FileStream(loose, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0);
                writer.WriteEntry(new GnuTarEntry(TarEntryType.RegularFile, $".git/objects/{id.Sha[..2]}/{id.Sha[2..]}") { DataStream = data, Mode = ReadOnly });
            }

            if (plan.PackedObjects.Count > 0)
            {
                BranchPack.Write(writer, Path.Combine(repo.Info.Path, "objects"), plan.PackedObjects, ReadOnly, Path.Combine(repo.Info.Path, "paude"), cancellationToken);
            }

            WriteRepositoryFiles(writer, plan, branchRef, commit);

            foreach (var (path, committed) in plan.Files)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (committed is null)
                {
                    // A planned file that is no longer a file or link (deleted, replaced by a FIFO) fails the push, typed.
                    if (!DirectoryTar.WriteFileEntry(writer, new FileInfo(Path.Combine(context.Workspace, path)), path))
                    {
                        throw new FileNotFoundException($"'{path}' is no longer a file.", path);
                    }

                    continue;
                }

                // Deleted locally: the first push never deletes, so the session gets the committed file.
                var blob = repo.Lookup<Blob>(committed.Value.Id);
                var entry = new GnuTarEntry(TarEntryType.RegularFile, path)
                {
                    DataStream = new MemoryStream(ReadAll(blob)),
                    Mode = committed.Value.Mode == Mode.ExecutableFile ? (UnixFileMode)0b111_101_101 : (UnixFileMode)0b110_100_100,
                };
                writer.WriteEntry(entry);
            }

            // Last: its arrival proves the archive arrived whole (tar accepts an end-of-file between two entries).
            writer.WriteEntry(new GnuTarEntry(TarEntryType.RegularFile, ".git/paude-end"));
        }
    }

    /// <summary>
    /// The rest of a repository <c>git init</c>, <c>git update-ref</c> and <c>git read-tree</c> would have made in the
    /// session — three processes, the last re-reading every tree — written here from what the host already knows: the
    /// branch and commit the plan was made for (not the repository's HEAD now, which a local commit may have moved).
    /// </summary>
    private static void WriteRepositoryFiles(TarWriter writer, FirstPushPlan plan, string branchRef, string commit)
    {
        foreach (var directory in new[] { ".git/refs/tags/", ".git/objects/info/", ".git/objects/pack/" })
        {
            writer.WriteEntry(new GnuTarEntry(TarEntryType.Directory, directory) { Mode = (UnixFileMode)0b111_101_101 });
        }

        void Write(string name, byte[] content) =>
            writer.WriteEntry(new GnuTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(content), Mode = (UnixFileMode)0b110_100_100 });

        Write(".git/HEAD", Encoding.UTF8.GetBytes($"ref: {branchRef}\n"));
        Write(".git/" + branchRef, Encoding.UTF8.GetBytes(commit + "\n"));
        Write(".git/config", "[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = false\n\tlogallrefupdates = true\n"u8.ToArray());
        Write(".git/index", GitIndexFile.Build(plan.IndexEntries));
    }

    private static byte[] ReadAll(Blob blob)
    {
        using var stream = blob.GetContentStream();
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
