using System.IO.Enumeration;

namespace Paude.Sync.Files;

/// <summary>Which relative paths a sync considers: default + user excludes, and path safety.</summary>
internal sealed class PathRules
{
    /// <summary>Names the sync itself uses inside a workspace; never synced.</summary>
    public const string StagingPrefix = ".paude-staging-";

    private readonly string[] _names;
    private readonly string[] _paths;
    private readonly bool _ignoreCase;

    /// <param name="excludes">The user's excludes (the defaults are always added).</param>
    /// <param name="ignoreCase">Whether the local file system compares names ignoring case (macOS, Windows): then
    /// <c>NODE_MODULES</c> is <c>node_modules</c> there, and the rules must say so.</param>
    public PathRules(IEnumerable<string> excludes, bool ignoreCase = false)
    {
        _ignoreCase = ignoreCase;
        var all = SyncOptions.DefaultExcludes.Concat(excludes).Select(e => e.Trim().TrimEnd('/')).Where(e => e.Length > 0).Distinct(StringComparer.Ordinal).ToArray();
        _names = [.. all.Where(e => !e.Contains('/', StringComparison.Ordinal))];
        _paths = [.. all.Where(e => e.Contains('/', StringComparison.Ordinal))];
    }

    /// <summary>Whether names are compared ignoring case (the local file system's rule).</summary>
    public bool IgnoresCase => _ignoreCase;

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
                if (FileSystemName.MatchesSimpleExpression(pattern, segment, _ignoreCase))
                {
                    return true;
                }
            }
        }

        var comparison = _ignoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        foreach (var pattern in _paths)
        {
            if (relativePath.Equals(pattern, comparison) || relativePath.StartsWith(pattern + "/", comparison)
                || FileSystemName.MatchesSimpleExpression(pattern, relativePath, _ignoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Whether a path reported by the session is a plain relative path inside the workspace (no '..', no absolute
    /// path, no empty or '.' segments, no control characters) that reaches no <c>.git</c> folder at any depth (hooks,
    /// config: a file there runs code), compared as the local file system compares names: on a case-insensitive one
    /// <c>.GIT/hooks/x</c> is <c>.git/hooks/x</c>. Session output is untrusted.
    /// </summary>
    public static bool IsSafeRelative(string path, bool ignoreCase = false) =>
        path.Length > 0
        && path.Length < 4096
        && path[0] != '/'
        && !path.Any(char.IsControl)
        && !path.Contains('\\', StringComparison.Ordinal)
        && path.Split('/').All(s => s.Length > 0 && s != "." && s != ".." && !s.Equals(".git", ignoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal));
}
