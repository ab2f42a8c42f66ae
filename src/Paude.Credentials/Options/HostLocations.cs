namespace Paude.Credentials;

/// <summary>Resolves the host locations of <see cref="CredentialOptions"/>, falling back to the usual environment variables.</summary>
internal static class HostLocations
{
    public static string Home(CredentialOptions o) =>
        o.HomeDirectory ?? NonEmpty(Environment.GetEnvironmentVariable("HOME")) ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);

    public static string ClaudeDirectory(CredentialOptions o) =>
        o.ClaudeConfigDirectory ?? NonEmpty(Environment.GetEnvironmentVariable("CLAUDE_CONFIG_DIR")) ?? Path.Join(Home(o), ".claude");

    public static string ClaudeJson(CredentialOptions o)
    {
        if (o.ClaudeJsonPath is { } explicitPath)
        {
            return explicitPath;
        }

        // With CLAUDE_CONFIG_DIR, Claude Code keeps its state file inside that folder instead of the home.
        var configDir = o.ClaudeConfigDirectory ?? NonEmpty(Environment.GetEnvironmentVariable("CLAUDE_CONFIG_DIR"));
        return configDir is not null ? Path.Join(configDir, ".claude.json") : Path.Join(Home(o), ".claude.json");
    }

    public static string GcloudDirectory(CredentialOptions o) =>
        o.GcloudConfigDirectory ?? NonEmpty(Environment.GetEnvironmentVariable("CLOUDSDK_CONFIG")) ?? Path.Join(Home(o), ".config", "gcloud");

    private static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
