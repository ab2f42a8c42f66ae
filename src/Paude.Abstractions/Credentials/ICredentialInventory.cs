namespace Paude.Credentials;

/// <summary>
/// Lists what a package would contain — paths, sizes, modes, hashes, never contents — for hosts that show it
/// (e.g. <c>paude credentials list</c>).
/// </summary>
public interface ICredentialInventory
{
    /// <summary>Builds the manifest of the package for <paramref name="sources"/> without writing the package anywhere.</summary>
    Task<CredentialManifest> DescribeAsync(IReadOnlyList<string> sources, CancellationToken cancellationToken = default);
}
