using System.IO.Enumeration;

namespace Paude.Sync.Files;

/// <summary>Which relative paths a sync considers: default + user excludes, and path safety.</summary>
internal sealed class PathRules
{
    /// <summary>Names the sync itself uses inside a workspace; never synced.</summary>
    public const string StagingPrefix = ".paude-staging-";

    private readonly string[] _names;
    private readonly string[] _paths;

    public PathRules(IEnumerable<string> excludes)
    {
        var all = SyncOptions.DefaultExcludes.Concat(excludes).Select(e => e.Trim().TrimEnd('/')).Where(e => e.Length > 0).Distinct(StringComparer.Ordinal).ToArray();
        _names = [.. all.Where(e => !e.Contains('/', StringComparison.Ordinal))];
        _paths = [.. all.Where(e => e.Contains('/', StringComparison.Ordinal))];
    }

    /// <summary>The name-only excludes (e.g. <c>node_modules</c>, <c>*.pyc</c>) for the session-side listing.</summary>
    public IReadOnlyList<string> NamePatterns => _names;

    /// <summary>The relative-path excludes (e.g. <c>docs/generated</c>).</summary>
    public IReadOnlyList<string> PathPatterns => _paths;

    /// <summary>Whether <paramref name="relativePath"/> (with '/') or any of its parent folders is excluded.</summary>
    public bool IsExcluded(string relativePath)
    {
        var segments = relativePath.Split('/');
        foreach (var segment in segments)
        {
            if (segment.Contains(StagingPrefix, StringComparison.Ordinal))
            {
                return true;
            }

            foreach (var pattern in _names)
            {
                if (FileSystemName.MatchesSimpleExpression(pattern, segment, ignoreCase: false))
                {
                    return true;
                }
            }
        }

        foreach (var pattern in _paths)
        {
            if (relativePath == pattern || relativePath.StartsWith(pattern + "/", StringComparison.Ordinal)
                || FileSystemName.MatchesSimpleExpression(pattern, relativePath, ignoreCase: false))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Whether a path reported by the session is a plain relative path inside the workspace (no '..', no absolute
    /// path, no empty or '.' segments, no control characters). Session output is untrusted.
    /// </summary>
    public static bool IsSafeRelative(string path) =>
        path.Length > 0
        && path.Length < 4096
        && path[0] != '/'
        && !path.Any(char.IsControl)
        && !path.Contains('\\', StringComparison.Ordinal)
        && path.Split('/').All(s => s.Length > 0 && s != "." && s != "..");
}
