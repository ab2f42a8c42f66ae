using System.Globalization;
using System.Text;
using Paude.Execution;
using Paude.Sync.Git;

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

    /// <summary>Uploads <paramref name="paths"/> (relative to the workspace); returns the bytes sent.</summary>
    public static async Task<long> RunAsync(SyncContext context, IReadOnlyList<string> paths, CancellationToken cancellationToken)
    {
        var header = new MemoryStream();
        foreach (var path in paths)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var info = new FileInfo(Path.Combine(context.Workspace, path));
            header.Write(Encoding.UTF8.GetBytes((info.LinkTarget is null ? LocalTree.Hash(info.FullName) : Link) + path));
            header.WriteByte(0);
        }

        string[] argv = ["bash", "-c", StagingScripts.Upload, "bash", context.Options.SessionWorkspace];
        var process = await context.Backend.StartProcessAsync(context.Session, new ProcessSpec(argv) { RedirectStandardInput = true }, cancellationToken).ConfigureAwait(false);
        await using (process.ConfigureAwait(false))
        {
            var stdout = PushProcess.ReadCappedAsync(process.StandardOutput, 4096, cancellationToken);
            var stderr = PushProcess.ReadCappedAsync(process.StandardError, 64 * 1024, cancellationToken);
            var counting = new CountingStream(context.Guarded(process.StandardInput, "a file upload"));
            try
            {
                await counting.WriteAsync(Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{header.Length}\n")), cancellationToken).ConfigureAwait(false);
                await counting.WriteAsync(header.ToArray(), cancellationToken).ConfigureAwait(false);
                var tar = TarOfFiles.Open(context.Workspace, paths, cancellationToken);
                await using (tar.ConfigureAwait(false))
                {
                    await tar.CopyToAsync(counting, 81920, cancellationToken).ConfigureAwait(false);
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
            if (exit != 0 || !output.AsSpan().SequenceEqual("K\0"u8))
            {
                throw new SyncTransportException(exit == StagingScripts.TransferFailed
                    ? $"Uploading files to session '{context.Session.Value}' failed: a file changed locally during the upload, or the transfer was cut; nothing was placed. Sync again."
                    : $"Uploading files to session '{context.Session.Value}' failed (exit {exit}): {(error.Length > 1000 ? error[..1000] : error)}");
            }

            return counting.Count;
        }
    }
}
