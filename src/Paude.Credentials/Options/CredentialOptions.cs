namespace Paude.Credentials;

/// <summary>What to do with a symbolic link that leads outside the packaged tree and every allowed root.</summary>
public enum OutsideLinkPolicy
{
    /// <summary>Fail the package with <see cref="CredentialLinkRefusedException"/> naming every such link (default).</summary>
    Refuse,

    /// <summary>Leave the link out and log a warning naming it.</summary>
    Skip,
}

/// <summary>
/// Host locations and rules of the credential sources. Unset locations default to the usual places
/// (<c>$CLAUDE_CONFIG_DIR</c> or <c>~/.claude</c>, <c>$CLOUDSDK_CONFIG</c> or <c>~/.config/gcloud</c>); validated once at start.
/// </summary>
public sealed class CredentialOptions
{
    /// <summary>The anchored paths under the Claude config folder left out by default (history, caches, per-project state).</summary>
    public static IReadOnlyList<string> DefaultClaudeExcludes { get; } =
    [
        ".git", "cache", "debug", "file-history", "history.jsonl", "ide", "logs", "paste-cache", "projects",
        "session-env", "shell-snapshots", "stats-cache.json", "tasks", "todos", "backups", ".claude.json.backup",
    ];

    /// <summary>The host home folder; <c>null</c> = <c>$HOME</c>.</summary>
    public string? HomeDirectory { get; set; }

    /// <summary>The Claude config folder; <c>null</c> = <c>$CLAUDE_CONFIG_DIR</c>, else <c>~/.claude</c>.</summary>
    public string? ClaudeConfigDirectory { get; set; }

    /// <summary>The Claude state file; <c>null</c> = <c>$CLAUDE_CONFIG_DIR/.claude.json</c> when that is set, else <c>~/.claude.json</c>.</summary>
    public string? ClaudeJsonPath { get; set; }

    /// <summary>Anchored relative paths under the Claude config folder to leave out.</summary>
    public IList<string> ClaudeExcludes { get; } = [.. DefaultClaudeExcludes];

    /// <summary>The gcloud config folder; <c>null</c> = <c>$CLOUDSDK_CONFIG</c>, else <c>~/.config/gcloud</c>.</summary>
    public string? GcloudConfigDirectory { get; set; }

    /// <summary>The folder git runs in to resolve the identity (matters for <c>includeIf "gitdir:"</c>); <c>null</c> = the current folder.</summary>
    public string? GitWorkingDirectory { get; set; }

    /// <summary>The git executable.</summary>
    public string GitExecutable { get; set; } = "git";

    /// <summary>
    /// Absolute host folders a symbolic link may lead into to be copied (dereferenced). Links leading anywhere
    /// else outside the packaged tree are handled by <see cref="OutsideLinks"/>.
    /// </summary>
    public IList<string> AllowedLinkRoots { get; } = [];

    /// <summary>What to do with links leading outside the tree and the allowed roots.</summary>
    public OutsideLinkPolicy OutsideLinks { get; set; } = OutsideLinkPolicy.Refuse;

    /// <summary>The home folder in the container; plugin metadata paths are rewritten to <c>&lt;ContainerHome&gt;/.claude</c>.</summary>
    public string ContainerHome { get; set; } = "/home/paude";

    /// <summary>The memory-backed folder in the container the package is unpacked into.</summary>
    public string CredentialsDirectory { get; set; } = "/credentials";

    /// <summary>Returns every problem with these options (empty when valid).</summary>
    public IReadOnlyList<string> GetErrors()
    {
        var errors = new List<string>();
        CheckHostPath(errors, nameof(HomeDirectory), HomeDirectory);
        CheckHostPath(errors, nameof(ClaudeConfigDirectory), ClaudeConfigDirectory);
        CheckHostPath(errors, nameof(ClaudeJsonPath), ClaudeJsonPath);
        CheckHostPath(errors, nameof(GcloudConfigDirectory), GcloudConfigDirectory);
        CheckHostPath(errors, nameof(GitWorkingDirectory), GitWorkingDirectory);
        if (string.IsNullOrWhiteSpace(GitExecutable))
        {
            errors.Add("GitExecutable: must not be blank");
        }

        foreach (var root in AllowedLinkRoots)
        {
            if (string.IsNullOrEmpty(root) || !Path.IsPathFullyQualified(root) || Path.GetFullPath(root) == "/")
            {
                errors.Add($"AllowedLinkRoots: '{root}' must be an absolute folder other than '/'");
            }
        }

        foreach (var exclude in ClaudeExcludes)
        {
            if (string.IsNullOrWhiteSpace(exclude) || exclude.StartsWith('/') || exclude.Split('/').Contains(".."))
            {
                errors.Add($"ClaudeExcludes: '{exclude}' must be a relative path inside the Claude folder");
            }
        }

        CheckContainerPath(errors, nameof(ContainerHome), ContainerHome);
        CheckContainerPath(errors, nameof(CredentialsDirectory), CredentialsDirectory);
        if (!Enum.IsDefined(OutsideLinks))
        {
            errors.Add($"OutsideLinks: '{OutsideLinks}' is not a policy");
        }

        return errors;
    }

    private static void CheckHostPath(List<string> errors, string name, string? value)
    {
        if (value is not null && (value.Length == 0 || !Path.IsPathFullyQualified(value)))
        {
            errors.Add($"{name}: '{value}' must be an absolute path");
        }
    }

    private static void CheckContainerPath(List<string> errors, string name, string value)
    {
        if (string.IsNullOrEmpty(value) || !value.StartsWith('/') || value.Contains('\0', StringComparison.Ordinal) || value.Split('/').Contains(".."))
        {
            errors.Add($"{name}: '{value}' must be an absolute container path");
        }
        else if (value == "/pvc" || value.StartsWith("/pvc/", StringComparison.Ordinal))
        {
            // The workspace volume is persistent and shared with sync: credentials must never land there.
            errors.Add($"{name}: '{value}' is on the workspace volume (/pvc); credentials must stay in memory-backed storage");
        }
    }
}
