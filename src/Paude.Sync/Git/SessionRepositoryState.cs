using Paude.Errors;
using Paude.Sync.Files;

namespace Paude.Sync.Git;

/// <summary>What the probe reported about the session's repository (one exec). Parsed from untrusted output.</summary>
internal sealed class SessionRepositoryState
{
    public bool Exists { get; private set; } = true;

    /// <summary>The checked-out branch (short name), or empty when HEAD is detached or unborn.</summary>
    public string HeadBranch { get; private set; } = string.Empty;

    public string HeadCommit { get; private set; } = string.Empty;

    /// <summary>The commit of the branch being pushed, in the session (empty when it does not exist).</summary>
    public string BranchCommit { get; private set; } = string.Empty;

    /// <summary>Modified or untracked files (path → SHA-256).</summary>
    public Dictionary<string, string> Dirty { get; } = new(StringComparer.Ordinal);

    /// <summary>Tracked files deleted in the session's working tree.</summary>
    public HashSet<string> Deleted { get; } = new(StringComparer.Ordinal);

    public static SessionRepositoryState Parse(byte[] output)
    {
        var state = new SessionRepositoryState();
        foreach (var record in SessionCommand.Records(output))
        {
            if (record.Length == 0)
            {
                continue;
            }

            var value = record[1..];
            switch (record[0])
            {
                case 'N':
                    state.Exists = false;
                    return state;
                case 'B':
                    state.HeadBranch = value;
                    break;
                case 'C':
                    state.HeadCommit = CheckSha(value);
                    break;
                case 'T':
                    state.BranchCommit = CheckSha(value);
                    break;
                case 'D':
                    state.Deleted.Add(PathRules.IsSafeRelative(value) ? value : throw new UnsafeContentException(value, "is not a plain relative path inside the workspace"));
                    break;
                case 'H':
                    var (hash, path) = FileSync.ParseHashRecord(value);
                    state.Dirty[path] = hash;
                    break;
                default:
                    throw new UnsafeContentException(record.Length > 80 ? record[..80] : record, "is not a repository probe record");
            }
        }

        return state;
    }

    private static string CheckSha(string value) =>
        value.Length == 0 || (value.Length == 40 && value.All(char.IsAsciiHexDigitLower))
            ? value
            : throw new UnsafeContentException(value, "is not a commit id");
}
