using Microsoft.Extensions.Options;

namespace Paude.Credentials.Sources;

/// <summary>Source <c>gcloud</c>: application-default credentials, packaged as <c>gcloud/application_default_credentials.json</c>.</summary>
internal sealed class GcloudCredentialSource(IOptions<CredentialOptions> options) : ICredentialSource
{
    public const string FileName = "application_default_credentials.json";

    public string Name => "gcloud";

    public Task<IReadOnlyList<CredentialItem>> GetItemsAsync(CancellationToken cancellationToken = default)
    {
        var file = Path.Join(HostLocations.GcloudDirectory(options.Value), FileName);
        IReadOnlyList<CredentialItem> items = File.Exists(file) ? [CredentialItem.FromFile("gcloud/" + FileName, file, secret: true)] : [];
        return Task.FromResult(items);
    }
}
