namespace Paude.TestSupport.StandInApi;

/// <summary>
/// A complete Claude Code plugin, installed in a host <c>~/.claude</c> the way <c>/plugin install</c> leaves it: a
/// local (directory) marketplace <see cref="Marketplace"/> under <c>plugins/marketplaces/</c>, the installed copy
/// under <c>plugins/cache/&lt;market&gt;/&lt;plugin&gt;/1.0.0</c> with a manifest, a command, a skill and an agent,
/// and both metadata files (<c>known_marketplaces.json</c>, <c>installed_plugins.json</c> version 2) naming the host
/// paths, which the credential packager rewrites to the container's. Enabling it (<c>enabledPlugins</c> with
/// <see cref="Id"/> in settings.json) is the caller's part. Every name carries <see cref="Name"/>, so a request
/// that mentions one proves the agent loaded the plugin.
/// </summary>
public sealed record TestPlugin(string Name)
{
    /// <summary>The marketplace the plugin comes from.</summary>
    public string Marketplace => Name + "-market";

    /// <summary>What settings.json's <c>enabledPlugins</c> names.</summary>
    public string Id => $"{Name}@{Marketplace}";

    /// <summary>The plugin's slash command (file name without .md).</summary>
    public string Command => Name + "-command";

    /// <summary>The plugin's skill.</summary>
    public string Skill => Name + "-skill";

    /// <summary>The plugin's agent.</summary>
    public string Agent => Name + "-agent";

    /// <summary>Writes the marketplace, the installed plugin and the metadata into <paramref name="claudeDir"/>.</summary>
    public void WriteInto(string claudeDir)
    {
        var market = Path.Join(claudeDir, "plugins", "marketplaces", Marketplace);
        var installed = Path.Join(claudeDir, "plugins", "cache", Marketplace, Name, "1.0.0");
        Write(Path.Join(market, ".claude-plugin", "marketplace.json"), $$"""
            { "name": "{{Marketplace}}", "owner": { "name": "Paude tests" },
              "plugins": [ { "name": "{{Name}}", "source": "./plugins/{{Name}}", "description": "Paude test plugin", "version": "1.0.0" } ] }
            """);
        foreach (var root in new[] { Path.Join(market, "plugins", Name), installed })
        {
            Write(Path.Join(root, ".claude-plugin", "plugin.json"), $$"""{ "name": "{{Name}}", "version": "1.0.0", "description": "Paude test plugin" }""");
            Write(Path.Join(root, "commands", Command + ".md"), $"""
                ---
                description: Probe command of {Name}; run it when asked to probe.
                ---
                Say {Command}.
                """);
            Write(Path.Join(root, "skills", Skill, "SKILL.md"), $"""
                ---
                name: {Skill}
                description: Probe skill of {Name}; use it when asked about probes.
                ---
                Answer with the word {Skill}.
                """);
            Write(Path.Join(root, "agents", Agent + ".md"), $"""
                ---
                name: {Agent}
                description: Probe agent of {Name}; use it for probing tasks.
                ---
                You are {Agent}. Answer with your name.
                """);
        }

        const string When = "2026-01-01T00:00:00.000Z";
        Write(Path.Join(claudeDir, "plugins", "known_marketplaces.json"), $$"""
            { "{{Marketplace}}": { "source": { "source": "directory", "path": "{{market}}" }, "installLocation": "{{market}}", "lastUpdated": "{{When}}" } }
            """);
        Write(Path.Join(claudeDir, "plugins", "installed_plugins.json"), $$"""
            { "version": 2, "plugins": { "{{Id}}": [ { "scope": "user", "installPath": "{{installed}}", "version": "1.0.0", "installedAt": "{{When}}", "lastUpdated": "{{When}}" } ] } }
            """);
    }

    private static void Write(string path, string content)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
    }
}
