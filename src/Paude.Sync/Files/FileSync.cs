using System.Text;
using LibGit2Sharp;
using Paude.Errors;
using Paude.Execution;
using Paude.Sessions;
using Paude.Sync.Transport;

namespace Paude.Sync.Files;

/// <summary>
/// File-level sync (the exclude strategy, and merge/overwrite in non-git workspaces): working files only,
/// <c>.git</c> never touched, three-way per file against the manifest's base.
/// </summary>
internal sealed class FileSync(SyncContext context)
{
    public async Task<(SyncResult Result, Dictionary<string, string> NewBase)> RunAsync(Dictionary<string, string>? lastBase, Repository? repo, CancellationToken cancellationToken)
    {
        var options = context.Options;
        var ignoreCase = FileSystemCase.IgnoresCase(context.Workspace);
        var rules = new PathRules(options.Excludes, ignoreCase);
        context.Report(SyncStage.Checking, "Listing local and session files");
        var local = LocalTree.Scan(context.Workspace, rules, repo, cancellationToken);
        var session = await ListSessionAsync(rules, repo, ignoreCase, cancellationToken).ConfigureAwait(false);
        var overwrite = options.Strategy == SyncStrategy.Overwrite;
        var plan = FilePlan.Create(local, session, lastBase, options.Direction, overwrite);
        var moveAside = options.Direction == SyncDirection.FromSession ? TypeChanges.Check(context.Workspace, plan, lastBase, options.Force) : [];
        var warnings = new List<string>();
        if (plan.SkippedDeletes.Count > 0)
        {
            warnings.Add($"First sync with this session: {plan.SkippedDeletes.Count} file(s) only on the target side were kept, not deleted.");
        }

        if (plan.AtRisk.Count > 0 && !options.Force)
        {
            var side = options.Direction == SyncDirection.FromSession ? "local" : "session";
            var newer = context.NewerSyncFromOtherSession(context.Manifest.Sessions.GetValueOrDefault(context.Session.Value));
            var summary = $"Overwrite refused: {plan.AtRisk.Count} {side} file(s) changed since the last sync with session '{context.Session.Value}' would be replaced."
                + (newer is null ? string.Empty : $" {newer}");
            throw new UnsafeSyncException(summary, [], plan.AtRisk);
        }

        if (options.DryRun && options.Direction == SyncDirection.ToSession)
        {
            await ReportObstaclesAsync(plan, lastBase, warnings, cancellationToken).ConfigureAwait(false);
        }

        var bytes = plan.Writes.Sum(p => options.Direction == SyncDirection.FromSession ? 0L : new FileInfo(Path.Combine(context.Workspace, p)).Length);
        var result = new SyncResult
        {
            Strategy = options.Strategy,
            Direction = options.Direction,
            DryRun = options.DryRun,
            FilesChanged = plan.Writes,
            FilesDeleted = plan.Deletes,
            Conflicts = plan.Conflicts,
            Warnings = warnings,
        };
        if (options.DryRun || (plan.Writes.Count == 0 && plan.Deletes.Count == 0))
        {
            return (result with { BytesMoved = 0 }, plan.NewBase);
        }

        var backups = new List<string>();
        if (options.Direction == SyncDirection.FromSession)
        {
            if (plan.AtRisk.Count > 0)
            {
                backups.Add(BackupLocal(plan.AtRisk));
            }

            if (moveAside.Count > 0)
            {
                var folder = BackupFolder;
                foreach (var path in moveAside)
                {
                    WorkspacePath.MoveAside(Path.Combine(context.Workspace, path), Path.Combine(folder, path));
                }

                warnings.Add($"Forced: {moveAside.Count} local path(s) of another type where the session has files were moved to {folder}: {string.Join(", ", moveAside.Take(20))}");
                if (!backups.Contains(folder))
                {
                    backups.Add(folder);
                }
            }

            bytes = await PullAsync(plan, session, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            if (plan.AtRisk.Count > 0)
            {
                warnings.Add($"Forced: {plan.AtRisk.Count} session file(s) changed since the last sync were replaced: {string.Join(", ", plan.AtRisk.Take(20))}");
                if (await SessionBackup.CopyAsync(context, plan.AtRisk, cancellationToken).ConfigureAwait(false) is { } copied)
                {
                    warnings.Add($"Forced: the session files the push replaced were copied to {copied} in the session.");
                    backups.Add($"{context.Session.Value}:{copied}");
                }
            }

            await PushAsync(plan, lastBase, warnings, backups, cancellationToken).ConfigureAwait(false);
        }

        context.Report(SyncStage.Done, $"{plan.Writes.Count} file(s) written, {plan.Deletes.Count} deleted, {plan.Conflicts.Count} conflict(s)");
        return (result with { BytesMoved = bytes, BackupRefs = backups }, plan.NewBase);
    }

    /// <summary>Lists the session's files with their SHA-256, refusing unsafe names.</summary>
    internal async Task<Dictionary<string, string>> ListSessionAsync(PathRules rules, Repository? repo, bool ignoreCase, CancellationToken cancellationToken)
    {
        var argv = new List<string> { "bash", "-c", SessionScripts.ListFiles, "bash", context.Options.SessionWorkspace };
        argv.AddRange(rules.NamePatterns);
        argv.AddRange(rules.PathPatterns);
        var output = await SessionCommand.RunCheckedAsync(context.Backend, context.Session, "Listing the session's files", argv, default, cancellationToken).ConfigureAwait(false);
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var record in SessionCommand.Records(output))
        {
            if (record == "N")
            {
                return files;
            }

            var (hash, path) = ParseHashRecord(record, ignoreCase);
            if (!LocalTree.IsIgnored(path, rules, repo))
            {
                files[path] = hash;
            }
        }

        return files;
    }

    /// <summary>Parses <c>&lt;sha256&gt;  &lt;path&gt;</c> (sha256sum -z output); the path is untrusted.</summary>
    internal static (string Hash, string Path) ParseHashRecord(string record, bool ignoreCase = false)
    {
        if (record.Length < 67 || record[64] != ' ' || record[65] != ' ' || !record[..64].All(char.IsAsciiHexDigitLower))
        {
            throw new UnsafeContentException(record.Length > 80 ? record[..80] : record, "is not a file listing record");
        }

        var path = record[66..];
        return PathRules.IsSafeRelative(path, ignoreCase) ? (record[..64], path) : throw new UnsafeContentException(path, "is not a plain relative path inside the workspace");
    }

    private async Task<long> PullAsync(FilePlan plan, Dictionary<string, string> session, CancellationToken cancellationToken)
    {
        context.Report(SyncStage.Transferring, $"Downloading {plan.Writes.Count} file(s)", 0, plan.Writes.Count);
        var staging = context.NewStagingFolder();
        try
        {
            var list = new MemoryStream();
            foreach (var path in plan.Writes)
            {
                list.Write(Encoding.UTF8.GetBytes(path));
                list.WriteByte(0);
            }

            var spec = new ProcessSpec(["bash", "-c", SessionScripts.TarFiles, "bash", context.Options.SessionWorkspace]) { RedirectStandardInput = true };
            var process = await context.Backend.StartProcessAsync(context.Session, spec, cancellationToken).ConfigureAwait(false);
            await using (process.ConfigureAwait(false))
            {
                // Bounded: the session controls its stderr (a flood must not fill memory or the error message).
                var stderr = new StringBuilder();
                var pumpErr = StderrCapture.PumpAsync(process.StandardError, stderr);
                var feed = FeedAsync(process.StandardInput, list.ToArray(), cancellationToken);
                var counting = new CountingStream(context.Guarded(process.StandardOutput, "a file download"));
                await SafeTarExtractor.ExtractAsync(counting, staging, SafeTarOptions.Default, cancellationToken).ConfigureAwait(false);
                await feed.ConfigureAwait(false);
                var exit = await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
                await pumpErr.ConfigureAwait(false);
                if (exit != 0)
                {
                    throw new SyncTransportException($"Reading files from session '{context.Session.Value}' failed (exit {exit}): {Describe(stderr)}");
                }

                VerifyStaged(staging, plan.Writes, session);
                cancellationToken.ThrowIfCancellationRequested();

                // From here on the apply is not cancelled: it is short, local, and journaled.
                context.Report(SyncStage.Applying, $"Moving {plan.Writes.Count} file(s) into place");
                LocalApplier.Apply(context.Store.Directory, context.Workspace, staging, plan.Writes, plan.Deletes);
                return counting.Count;
            }
        }
        finally
        {
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }
        }
    }

    /// <summary>Only what was asked for, as regular files, with the listed content, is accepted.</summary>
    private static void VerifyStaged(string staging, IReadOnlyList<string> writes, Dictionary<string, string> session)
    {
        foreach (var path in writes)
        {
            var file = new FileInfo(Path.Combine(staging, path));
            if (!file.Exists || file.LinkTarget is not null)
            {
                throw new UnsafeContentException(path, "did not arrive as a regular file");
            }

            if (LocalTree.Hash(file.FullName) != session[path])
            {
                throw new SyncTransportException($"'{path}' changed in the session during the sync; nothing was applied. Sync again.");
            }
        }
    }

    /// <summary>
    /// Writes and deletes in the session in one staged upload. A session path of another type in the way of a write
    /// (content the last sync did not write) makes that write a conflict, and the rest is sent again; with force it
    /// was moved into a backup folder in the session instead, and the result says where.
    /// </summary>
    private async Task PushAsync(FilePlan plan, IReadOnlyDictionary<string, string>? lastBase, List<string> warnings, List<string> backups, CancellationToken cancellationToken)
    {
        context.Report(SyncStage.Transferring, $"Uploading {plan.Writes.Count} file(s)", 0, plan.Writes.Count);
        var outcome = await StagedUpload.RunAsync(context, plan.Writes, plan.Deletes, cancellationToken).ConfigureAwait(false);
        if (outcome.Conflicts.Count > 0)
        {
            foreach (var path in outcome.Conflicts)
            {
                TypeChanges.MarkConflict(plan, path, lastBase);
            }

            plan.Conflicts.Sort(StringComparer.Ordinal);
            warnings.Add($"{outcome.Conflicts.Count} file(s) were not written: the session has a folder, link or file of another type in their way that the last sync did not write (sync with force to move it to a backup folder in the session): {string.Join(", ", outcome.Conflicts.Take(20))}");
            if (plan.Writes.Count + plan.Deletes.Count == 0)
            {
                return;
            }

            outcome = await StagedUpload.RunAsync(context, plan.Writes, plan.Deletes, cancellationToken).ConfigureAwait(false);
            if (outcome.Conflicts.Count > 0)
            {
                throw new SyncTransportException($"The session's workspace kept changing type under the sync ({string.Join(", ", outcome.Conflicts.Take(20))}); nothing more was written. Sync again.");
            }
        }

        if (outcome.MovedAside.Count > 0)
        {
            var folder = $"{context.Options.SessionWorkspace.TrimEnd('/')}/{outcome.BackupFolder}";
            warnings.Add($"Forced: {outcome.MovedAside.Count} session path(s) of another type in the way of a write were moved to {folder} in the session: {string.Join(", ", outcome.MovedAside.Take(20))}");
            if (!backups.Contains($"{context.Session.Value}:{folder}"))
            {
                backups.Add($"{context.Session.Value}:{folder}");
            }
        }
    }

    /// <summary>
    /// A dry run's push: the session paths of another type in the way of a write, found by the push's own check, are
    /// reported as the push would report them — conflicts, or with force what would be moved to a backup folder.
    /// </summary>
    private async Task ReportObstaclesAsync(FilePlan plan, IReadOnlyDictionary<string, string>? lastBase, List<string> warnings, CancellationToken cancellationToken)
    {
        var obstacles = await StagedUpload.FindObstaclesAsync(context, plan.Writes, plan.Deletes, cancellationToken).ConfigureAwait(false);
        if (obstacles.Count == 0)
        {
            return;
        }

        if (context.Options.Force)
        {
            warnings.Add($"Forced: session paths of another type in the way of {obstacles.Count} write(s) would be moved to a backup folder in the session: {string.Join(", ", obstacles.Take(20))}");
            return;
        }

        foreach (var path in obstacles)
        {
            TypeChanges.MarkConflict(plan, path, lastBase);
        }

        plan.Conflicts.Sort(StringComparer.Ordinal);
        warnings.Add($"{obstacles.Count} file(s) would not be written: the session has a folder, link or file of another type in their way that the last sync did not write (sync with force to move it to a backup folder in the session): {string.Join(", ", obstacles.Take(20))}");
    }

    /// <summary>Where this run keeps local content it replaces (outside the workspace).</summary>
    private string BackupFolder => Path.Combine(context.Store.Directory, "backup", context.Session.Value, context.Stamp);

    private string BackupLocal(IReadOnlyList<string> paths)
    {
        var folder = BackupFolder;
        foreach (var path in paths)
        {
            var source = Path.Combine(context.Workspace, path);
            if (File.Exists(source))
            {
                var target = Path.Combine(folder, path);
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(source, target, overwrite: true);
            }
        }

        return folder;
    }

    private static string Describe(StringBuilder stderr)
    {
        var text = stderr.ToString().Trim();
        return text.Length > 2000 ? text[..2000] + "... (cut)" : text;
    }

    private static async Task FeedAsync(Stream stdin, byte[] data, CancellationToken cancellationToken)
    {
        await stdin.WriteAsync(data, cancellationToken).ConfigureAwait(false);
        await stdin.DisposeAsync().ConfigureAwait(false);
    }
}
