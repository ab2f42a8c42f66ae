using System.Text;
using LibGit2Sharp;
using Paude.Sync.Files;
using Paude.Sync.Manifest;

namespace Paude.Sync.Git;

/// <summary>The host-side plan of a fast push: which paths to write or delete, decided without asking the session.</summary>
internal sealed partial class IncrementalPush
{
    /// <summary>
    /// Per candidate path (locally dirty, uploaded by the last push, or changed by the new commits): what the session
    /// holds (the upload, else the pushed commit's blob) against what the workspace holds now. <c>null</c> when the new
    /// commits change a symlink or a submodule (the full path handles those).
    /// </summary>
    private PushPlan? Plan(Commit head, Commit? since, Dictionary<string, string> lastUploaded, IEnumerable<string> dirty, CancellationToken cancellationToken)
    {
        var dirtySet = new HashSet<string>(dirty, StringComparer.Ordinal);
        var committed = new HashSet<string>(StringComparer.Ordinal);
        var modeChanged = new HashSet<string>(StringComparer.Ordinal);
        var indexInfo = new MemoryStream();
        if (since is not null)
        {
            foreach (var change in repo.Diff.Compare<TreeChanges>(since.Tree, head.Tree, new LibGit2Sharp.CompareOptions { Similarity = SimilarityOptions.None }))
            {
                if (change.Mode is Mode.SymbolicLink or Mode.GitLink || change.OldMode is Mode.SymbolicLink or Mode.GitLink)
                {
                    return null;
                }

                committed.Add(change.Path);
                committed.Add(change.OldPath);

                // The session's index entry for the path becomes the new commit's (mode 0 removes it).
                var entry = change.Mode == Mode.Nonexistent
                    ? $"0 {ObjectId.Zero.Sha}\t{change.Path}"
                    : $"{Convert.ToString((int)change.Mode, 8)} {change.Oid.Sha}\t{change.Path}";
                indexInfo.Write(Encoding.UTF8.GetBytes(entry));
                indexInfo.WriteByte(0);
                if (change.Mode != change.OldMode && change.Mode != Mode.Nonexistent && change.OldMode != Mode.Nonexistent)
                {
                    modeChanged.Add(change.Path);
                }
            }
        }

        var sessionCommit = since ?? head;
        var ops = new List<PushOp>();
        var uploaded = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var path in dirtySet.Union(lastUploaded.Keys).Union(committed).Order(StringComparer.Ordinal))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!LocalTree.TryHashRegular(context.Workspace, path, out var local))
            {
                continue;
            }

            var expected = lastUploaded.TryGetValue(path, out var ours) ? (ours == SessionSyncRecord.Deleted ? null : ours) : CommittedHash(sessionCommit, path);
            if (dirtySet.Contains(path))
            {
                uploaded[path] = local ?? SessionSyncRecord.Deleted;
            }

            // A mode change alone (chmod +x committed) rewrites the file too: the tar carries the mode.
            if (local != expected || (local is not null && modeChanged.Contains(path)))
            {
                ops.Add(new PushOp(path, expected, local));
            }
        }

        return new PushPlan(ops, uploaded, indexInfo.ToArray());
    }

    private static string? CommittedHash(Commit head, string path)
    {
        if (head[path]?.Target is not Blob blob)
        {
            return null;
        }

        using var content = blob.GetContentStream();
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(content));
    }

    /// <summary>
    /// What one fast push sends: the file operations, the uncommitted files it leaves in the session (for the
    /// manifest) and, with new commits, the session's index entries they change (<c>git update-index --index-info</c>).
    /// </summary>
    private sealed record PushPlan(List<PushOp> Ops, Dictionary<string, string> Uploaded, byte[] IndexInfo);

    /// <summary>One path to replace: the hash the session should hold (<c>null</c>: absent) and the new one (<c>null</c>: delete).</summary>
    private sealed record PushOp(string Path, string? Expected, string? New);
}
