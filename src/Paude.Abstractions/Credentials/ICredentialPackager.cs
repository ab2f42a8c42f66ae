namespace Paude.Credentials;

/// <summary>
/// Builds the credential package of a session on the host, streaming, from named credential sources
/// (e.g. <c>claude</c>, <c>gcloud</c>, <c>git</c>). Backends call it on create and on every start, upload the
/// archive into the session's memory-backed credentials directory and then run <see cref="RestoreCommand"/>.
/// </summary>
public interface ICredentialPackager
{
    /// <summary>The names of the sources this packager knows.</summary>
    IReadOnlyCollection<string> SourceNames { get; }

    /// <summary>
    /// Writes the package for <paramref name="sources"/> as a tar archive to <paramref name="destination"/>,
    /// without buffering it whole. The archive is unpacked into <c>/credentials</c> in the container.
    /// </summary>
    Task WritePackageAsync(IReadOnlyList<string> sources, Stream destination, CancellationToken cancellationToken = default);

    /// <summary>The command (argument vector) the backend runs in the container after the upload.</summary>
    IReadOnlyList<string> RestoreCommand { get; }
}
