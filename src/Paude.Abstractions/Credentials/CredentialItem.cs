namespace Paude.Credentials;

/// <summary>
/// One thing a source puts into the package: a host file, a host directory tree (minus anchored excludes) or
/// generated content, stored under <see cref="PackagePath"/>. Create it with the factory methods.
/// </summary>
public sealed record CredentialItem
{
    private CredentialItem(string packagePath) => PackagePath = packagePath;

    /// <summary>The '/'-separated path inside the package (e.g. <c>claude/settings.json</c>).</summary>
    public string PackagePath { get; }

    /// <summary>The host file or directory, when the item comes from the host.</summary>
    public string? HostPath { get; private init; }

    /// <summary>Generated file content, when the item does not come from the host.</summary>
    public ReadOnlyMemory<byte>? Content { get; private init; }

    /// <summary>Whether the content is a secret (a token or key) rather than plain configuration.</summary>
    public bool Secret { get; private init; }

    /// <summary>The permission bits of generated content (host items keep the host's bits).</summary>
    public UnixFileMode Mode { get; private init; }

    /// <summary>Relative paths under a directory item to leave out (anchored; an excluded directory drops its subtree).</summary>
    public IReadOnlyList<string> Exclude { get; private init; } = [];

    /// <summary>A single host file.</summary>
    public static CredentialItem FromFile(string packagePath, string hostPath, bool secret) =>
        new(packagePath) { HostPath = hostPath, Secret = secret };

    /// <summary>A host directory tree, without the anchored <paramref name="exclude"/> paths.</summary>
    public static CredentialItem FromDirectory(string packagePath, string hostPath, IReadOnlyList<string>? exclude = null) =>
        new(packagePath) { HostPath = hostPath, Exclude = exclude ?? [] };

    /// <summary>Generated content (e.g. a rewritten metadata file or a git identity include).</summary>
    public static CredentialItem FromContent(string packagePath, ReadOnlyMemory<byte> content, bool secret, UnixFileMode mode) =>
        new(packagePath) { Content = content, Secret = secret, Mode = mode };
}
