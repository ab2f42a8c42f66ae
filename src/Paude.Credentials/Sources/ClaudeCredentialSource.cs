using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Paude.Credentials.Sources;

/// <summary>
/// Source <c>claude</c>: the Claude Code config folder (settings, credentials, statsig, plugins, commands,
/// agents, CLAUDE.md) without history and caches, plus <c>~/.claude.json</c>. Package layout:
/// <c>claude/...</c> and <c>claude.json</c>. Plugin metadata is re-emitted with host paths rewritten.
/// </summary>
internal sealed class ClaudeCredentialSource(IOptions<CredentialOptions> options, ILogger<ClaudeCredentialSource>? logger = null) : ICredentialSource
{
    /// <summary>Files holding tokens or keys (settings may carry API keys in <c>env</c>).</summary>
    private static readonly string[] SecretFiles = [".credentials.json", "settings.json", "settings.local.json"];

    private static readonly string[] PluginMetadata = ["plugins/installed_plugins.json", "plugins/known_marketplaces.json"];

    private readonly ILogger _logger = logger ?? (ILogger)NullLogger.Instance;

    public string Name => "claude";

    public async Task<IReadOnlyList<CredentialItem>> GetItemsAsync(CancellationToken cancellationToken = default)
    {
        var o = options.Value;
        var dir = HostLocations.ClaudeDirectory(o);
        var items = new List<CredentialItem>();
        if (Directory.Exists(dir))
        {
            items.Add(CredentialItem.FromDirectory("claude", dir, [.. o.ClaudeExcludes, .. SecretFiles, .. PluginMetadata, ".claude.json"]));
            foreach (var name in SecretFiles.Where(n => File.Exists(Path.Join(dir, n))))
            {
                items.Add(CredentialItem.FromFile("claude/" + name, Path.Join(dir, name), secret: true));
            }

            foreach (var name in PluginMetadata.Where(n => File.Exists(Path.Join(dir, n))))
            {
                items.Add(await RewriteMetadataAsync(dir, name, o.ContainerHome, cancellationToken).ConfigureAwait(false));
            }
        }

        var json = HostLocations.ClaudeJson(o);
        if (File.Exists(json))
        {
            items.Add(CredentialItem.FromFile("claude.json", json, secret: true));
        }

        return items;
    }

    private async Task<CredentialItem> RewriteMetadataAsync(string dir, string name, string containerHome, CancellationToken ct)
    {
        var path = Path.Join(dir, name);
        var bytes = await File.ReadAllBytesAsync(path, ct).ConfigureAwait(false);
        var mode = new FileInfo(path).UnixFileMode & (UnixFileMode)0x1FF;
        var hostRoots = new[] { Path.TrimEndingDirectorySeparator(Path.GetFullPath(dir)), Packaging.RealPath.Resolve(dir) }.Distinct(StringComparer.Ordinal);
        var rewritten = PluginMetadataRewriter.Rewrite(bytes, hostRoots, containerHome.TrimEnd('/') + "/.claude", out var count);
        if (rewritten is null)
        {
            Log.MetadataNotJson(_logger, path);
            return CredentialItem.FromContent("claude/" + name, bytes, secret: false, mode);
        }

        Log.MetadataRewritten(_logger, path, count);
        return CredentialItem.FromContent("claude/" + name, rewritten, secret: false, mode);
    }
}
