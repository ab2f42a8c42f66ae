using System.Globalization;
using System.Text;
using Paude.Errors;
using Paude.Execution;
using Paude.Sync.Git;
using Paude.Sync.Transport;

namespace Paude.Sync.Files;

/// <summary>
/// Uploads workspace files into the session through a staging folder (<see cref="StagingScripts.Upload"/>): one
/// exec, and no session file is written before the whole archive arrived and every file matched the hash sent
/// ahead of it. Used instead of the backend's plain upload, which extracts straight into place (a cancelled
/// upload would leave a truncated file).
/// </summary>
internal static class StagedUpload
{
    private static readonly string Link = new('-', PushScripts.HashLength);

    /// <summary>
    /// The typed error for a push the session's place step refused (<see cref="SafePlaceScript.Refused"/>): a link or
    /// another type stood on the way of a write. The session's text is untrusted: made printable and bounded.
    /// </summary>
    internal static UnsafeContentException Refusal(string session, string error)
    {
        var text = PktLine.Printable(Encoding.UTF8.GetBytes(error));
        text = text.StartsWith("refused: ", StringComparison.Ordinal) ? text["refused: ".Length..] : text;
        var cut = text.IndexOf(": ", StringComparison.Ordinal);
        return new UnsafeContentException(
            cut > 0 ? text[..cut] : text,
            $"could not be written in session '{session}': {(cut > 0 ? text[(cut + 2)..] : "a link or another type stood on its way")}; nothing was written through it");
    }

    /// <summary>
    /// Uploads <paramref name="paths"/> (relative to the workspace) and deletes <paramref name="deletes"/> in the
    /// session. When a session path of another type (folder, link, a file where a folder goes) that the push does not
    /// own stands in the way, nothing changes and the writes behind it come back as conflicts (with force, the
    /// obstacles are moved into <see cref="UploadOutcome.BackupFolder"/> in the session first).
    /// </summary>
    /// <exception cref="UnsafeContentException">A link was on the way of a write when the file was placed.</exception>
    public static Task<UploadOutcome> RunAsync(SyncContext context, IReadOnlyList<string> paths, IReadOnlyList<string> deletes, CancellationToken cancellationToken) =>
        RunAsync(context, paths, deletes, dryRun: false, cancellationToken);

    /// <summary>
    /// What <see cref="RunAsync(SyncContext, IReadOnlyList{string}, IReadOnlyList{string}, CancellationToken)"/> would
    /// report as conflicts (without force) or move aside (with force), found by the same check in the session, with
    /// nothing sent but the header and nothing changed: a dry run reports what the push would.
    /// </summary>
    public static async Task<IReadOnlyList<string>> FindObstaclesAsync(SyncContext context, IReadOnlyList<string> paths, IReadOnlyList<string> deletes, CancellationToken cancellationToken) =>
        paths.Count == 0 ? [] : (await RunAsync(context, paths, deletes, dryRun: true, cancellationToken).ConfigureAwait(false)).Conflicts;

    private static async Task<UploadOutcome> RunAsync(SyncContext context, IReadOnlyList<string> paths, IReadOnlyList<string> deletes, bool dryRun, CancellationToken cancellationToken)
    {
        var header = new MemoryStream();
        foreach (var path in paths)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var info = new FileInfo(Path.Combine(context.Workspace, path));
            header.Write(Encoding.UTF8.GetBytes((info.LinkTarget is null ? LocalTree.Hash(info.FullName) : Link) + path));
            header.WriteByte(0);
        }

        foreach (var path in deletes)
        {
            header.Write(Encoding.UTF8.GetBytes("D" + path));
            header.WriteByte(0);
        }

        var backup = SessionBackup.Folder(context);
        string[] argv = ["bash", "-c", StagingScripts.Upload, "bash", context.Options.SessionWorkspace, dryRun ? "dry" : context.Options.Force ? "1" : "0", backup];
        var process = await context.Backend.StartProcessAsync(context.Session, new ProcessSpec(argv) { RedirectStandardInput = true }, cancellationToken).ConfigureAwait(false);
        await using (process.ConfigureAwait(false))
        {
            var stdout = PushProcess.ReadCappedAsync(process.StandardOutput, 4 * 1024 * 1024, cancellationToken);
            var stderr = PushProcess.ReadCappedAsync(process.StandardError, 64 * 1024, cancellationToken);
            var counting = new CountingStream(context.Guarded(process.StandardInput, "a file upload"));
            try
            {
                await counting.WriteAsync(Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{header.Length}\n")), cancellationToken).ConfigureAwait(false);
                await counting.WriteAsync(header.ToArray(), cancellationToken).ConfigureAwait(false);
                if (!dryRun)
                {
                    var tar = TarOfFiles.Open(context.Workspace, paths, cancellationToken);
                    await using (tar.ConfigureAwait(false))
                    {
                        await tar.CopyToAsync(counting, 81920, cancellationToken).ConfigureAwait(false);
                    }
                }

                await process.StandardInput.DisposeAsync().ConfigureAwait(false);
            }
            catch (IOException) when (counting.WriteFailed)
            {
                // The script stopped reading: its exit code says why.
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // A local file vanished mid-archive: the script would wait for the rest forever.
                throw PushProcess.LocalReadFailed(context.Session.Value, e);
            }

            var (output, error, exit) = await PushProcess.AnswerAsync(context, process, stdout, stderr, "a file upload", cancellationToken).ConfigureAwait(false);
            // Session output is untrusted: conflicts must name paths this upload sent; the rest only reaches messages.
            var records = SessionCommand.Records(output).ToList();
            var sent = paths.ToHashSet(StringComparer.Ordinal);
            if (exit == SafePlaceScript.Conflicts && records.Count > 0 && records.All(r => r.StartsWith('C') && sent.Contains(r[1..])))
            {
                return new UploadOutcome(counting.Count, [.. records.Select(r => r[1..])], [], backup);
            }

            if (exit == SafePlaceScript.Refused)
            {
                throw Refusal(context.Session.Value, error);
            }

            if (exit != 0 || records.Count == 0 || records[^1] != "K" || records.SkipLast(1).Any(r => !r.StartsWith('B')))
            {
                throw new SyncTransportException(exit == StagingScripts.TransferFailed
                    ? $"Uploading files to session '{context.Session.Value}' failed: a file changed locally during the upload, or the transfer was cut; nothing was placed. Sync again."
                    : $"Uploading files to session '{context.Session.Value}' failed (exit {exit}): {(error.Length > 1000 ? error[..1000] : error)}");
            }

            return new UploadOutcome(counting.Count, [], [.. records.SkipLast(1).Select(r => PktLine.Printable(Encoding.UTF8.GetBytes(r[1..])))], backup);
        }
    }
}

/// <summary>What a staged upload did.</summary>
/// <param name="Bytes">Bytes sent.</param>
/// <param name="Conflicts">Writes refused because a session path of another type stands in their way (nothing changed).</param>
/// <param name="MovedAside">With force: the session paths of another type moved into <paramref name="BackupFolder"/>.</param>
/// <param name="BackupFolder">The workspace-relative folder in the session that holds what was moved aside.</param>
internal sealed record UploadOutcome(long Bytes, IReadOnlyList<string> Conflicts, IReadOnlyList<string> MovedAside, string BackupFolder);
