using LibGit2Sharp;
using Paude.Errors;
using Paude.Sessions;
using Paude.Sync.Files;
using Paude.Sync.Git;

namespace Paude.Sync;

/// <summary>
/// What a session holds that no sync brought back (read-only, two execs): its commits that no local ref reaches, and
/// its changed or untracked files (excludes and <c>.gitignore</c> apply) whose content the local file at the same path
/// does not have. A non-git session folder is compared file by file.
/// </summary>
internal static class UnsyncedWorkCheck
{

    public static async Task<UnsyncedWork> RunAsync(ISessionBackend backend, SessionName session, string root, string? gitDirectory, SyncOptions options, CancellationToken cancellationToken)
    {
        var rules = new PathRules(options.Excludes, FileSystemCase.IgnoresCase(root));
        using var repo = gitDirectory is null ? null : new Repository(gitDirectory);
        var probe = new List<string> { "bash", "-c", SessionScripts.ProbeRepository, "bash", options.SessionWorkspace, string.Empty };
        probe.AddRange(rules.NamePatterns);
        probe.AddRange(rules.PathPatterns);
        var state = SessionRepositoryState.Parse(await SessionCommand.RunCheckedAsync(backend, session, "Probing the session's repository", probe, default, cancellationToken).ConfigureAwait(false));
        IEnumerable<KeyValuePair<string, string>> files = state.Dirty;
        if (!state.Exists)
        {
            var list = new List<string> { "bash", "-c", SessionScripts.ListFiles, "bash", options.SessionWorkspace };
            list.AddRange(rules.NamePatterns);
            list.AddRange(rules.PathPatterns);
            var output = await SessionCommand.RunCheckedAsync(backend, session, "Listing the session's files", list, default, cancellationToken).ConfigureAwait(false);
            files = [.. SessionCommand.Records(output).Where(r => r != "N").Select(r => FileSync.ParseHashRecord(r, rules.IgnoresCase)).Select(r => KeyValuePair.Create(r.Path, r.Hash))];
        }

        var paths = files
            .Where(f => !LocalTree.IsIgnored(f.Key, rules, repo) && !HasLocally(root, f.Key, f.Value))
            .Select(f => f.Key)
            .Concat(state.Deleted.Where(d => !rules.IsExcluded(d) && Path.Exists(Path.Combine(root, d))))
            .Order(StringComparer.Ordinal)
            .ToList();

        var commits = new List<string>();
        if (state.Exists && repo is not null)
        {
            var output = await SessionCommand.RunCheckedAsync(backend, session, "Listing the session's commits", ["bash", "-c", SessionScripts.ListCommits, "bash", options.SessionWorkspace], default, cancellationToken).ConfigureAwait(false);
            var tips = GitHistory.RefTips(repo).ToList();
            var reachable = tips.Count == 0 ? [] : repo.Commits.QueryBy(new CommitFilter { IncludeReachableFrom = tips }).Select(c => c.Sha).ToHashSet(StringComparer.Ordinal);
            foreach (var record in SessionCommand.Records(output))
            {
                var (sha, subject) = ParseCommit(record);
                if (!reachable.Contains(sha))
                {
                    commits.Add($"{sha[..10]} {subject}");
                }
            }
        }

        return new UnsyncedWork { Commits = commits, Paths = paths };
    }

    private static bool HasLocally(string root, string path, string hash)
    {
        WorkspacePath.EnsureNoLinkOnTheWay(root, path);
        return LocalTree.TryHashRegular(root, path, out var local) && local == hash;
    }

    /// <summary><c>&lt;40 hex&gt; &lt;subject&gt;</c> from the session (untrusted): the subject is cut and freed of control characters.</summary>
    private static (string Sha, string Subject) ParseCommit(string record)
    {
        if (record.Length < 41 || record[40] != ' ' || !record[..40].All(char.IsAsciiHexDigitLower))
        {
            throw new UnsafeContentException(record.Length > 80 ? record[..80] : record, "is not a commit record");
        }

        return (record[..40], GitHistory.DisplaySubject(record[41..]));
    }
}
