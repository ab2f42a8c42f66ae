using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Paude.Credentials.Packaging;
using Paude.Sessions;

namespace Paude.Credentials;

/// <summary>
/// The <see cref="ICredentialPackager"/>: asks the requested sources for their items, plans every entry from
/// host metadata (all link decisions and name checks before any byte is written), then streams the tar with
/// the manifests last. <see cref="ICredentialInventory"/> runs the same path into <see cref="Stream.Null"/>.
/// </summary>
internal sealed class CredentialPackager(
    IEnumerable<ICredentialSource> sources, IOptions<CredentialOptions> options, TimeProvider time, ILogger<CredentialPackager>? logger = null)
    : ICredentialPackager, ICredentialInventory
{
    private readonly ILogger _logger = logger ?? (ILogger)NullLogger.Instance;
    private readonly Dictionary<string, ICredentialSource> _sources = sources
        .GroupBy(s => s.Name, StringComparer.Ordinal)
        .ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);

    public IReadOnlyCollection<string> SourceNames => [.. _sources.Keys.Order(StringComparer.Ordinal)];

    public IReadOnlyList<string> RestoreCommand => [AgentContract.RestoreCredentialsCommand, options.Value.CredentialsDirectory];

    public Task WritePackageAsync(IReadOnlyList<string> sources, Stream destination, CancellationToken cancellationToken = default) =>
        WriteAsync(sources, destination, cancellationToken);

    public Task<CredentialManifest> DescribeAsync(IReadOnlyList<string> sources, CancellationToken cancellationToken = default) =>
        WriteAsync(sources, Stream.Null, cancellationToken);

    /// <summary>Writes the package and returns its manifest.</summary>
    internal async Task<CredentialManifest> WriteAsync(IReadOnlyList<string> names, Stream destination, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(names);
        ArgumentNullException.ThrowIfNull(destination);
        var requested = names.Distinct(StringComparer.Ordinal).ToList();
        var unknown = requested.FirstOrDefault(n => !_sources.ContainsKey(n));
        if (unknown is not null)
        {
            throw new CredentialSourceNotFoundException(unknown, SourceNames);
        }

        var planner = new PackagePlanner(options.Value, _logger);
        foreach (var name in requested)
        {
            var items = await _sources[name].GetItemsAsync(cancellationToken).ConfigureAwait(false);
            if (items.Count == 0)
            {
                Log.SourceEmpty(_logger, name);
            }

            foreach (var item in items)
            {
                planner.Add(name, item);
            }
        }

        var entries = planner.Complete();
        var manifest = await PackageWriter.WriteAsync(entries, requested, destination, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        if (_logger.IsEnabled(LogLevel.Information))
        {
            var files = manifest.Entries.Where(e => e.Kind == CredentialEntryKind.File).ToList();
            var sourceList = string.Join(",", requested);
            var secrets = files.Count(f => f.Secret);
            Log.Packaged(_logger, sourceList, files.Count, manifest.TotalSize, secrets);
        }
        return manifest;
    }
}
