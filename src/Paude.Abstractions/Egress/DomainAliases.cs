namespace Paude.Egress;

/// <summary>
/// Named groups of domains for the allow-list (the aliases of the Python tool). An entry starting with
/// <c>.</c> allows the domain and every subdomain; <c>~</c> introduces a regular expression.
/// </summary>
public static class DomainAliases
{
    /// <summary>The aliases that <c>default</c> expands to.</summary>
    public static IReadOnlyList<string> DefaultAliases { get; } = ["vertexai", "python", "github", "claude"];

    /// <summary>Every alias and its domains.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<string>> All { get; } = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal)
    {
        ["vertexai"] =
        [
            "accounts.google.com", "oauth2.googleapis.com", "www.googleapis.com", @"~aiplatform\.googleapis\.com$",
            "cloudresourcemanager.googleapis.com", "iamcredentials.googleapis.com", "sts.googleapis.com", "storage.googleapis.com",
        ],
        ["claude"] = [".claude.ai", ".anthropic.com"],
        ["python"] = [".pypi.org", ".pythonhosted.org", ".pytorch.org"],
        ["pypi"] = [".pypi.org", ".pythonhosted.org", ".pytorch.org"],
        ["github"] =
        [
            "github.com", "api.github.com", "raw.githubusercontent.com", "codeload.github.com",
            "release-assets.githubusercontent.com", "results-receiver.actions.githubusercontent.com",
        ],
        ["golang"] = ["go.dev", "dl.google.com", "proxy.golang.org", "sum.golang.org", "storage.googleapis.com"],
        ["nodejs"] = [".nodejs.org", ".npmjs.org", ".yarnpkg.com"],
        ["rust"] = ["crates.io", "static.crates.io", "static.rust-lang.org"],
        ["gemini"] = ["cloudcode-pa.googleapis.com", "play.googleapis.com"],
        ["cursor"] = [".cursor.com", ".cursor.sh", ".cursor-cdn.com", ".cursorapi.com"],
        ["codex"] = ["chatgpt.com", ".chatgpt.com", "auth.openai.com"],
        ["openai"] = [".openai.com"],
    };
}
