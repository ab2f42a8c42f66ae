namespace Paude.Credentials;

/// <summary>
/// One named, optional source of credentials or agent configuration (e.g. <c>claude</c>, <c>gcloud</c>,
/// <c>git</c>). Register more through DI (<c>services.AddSingleton&lt;ICredentialSource, MySource&gt;()</c>);
/// a source that finds nothing on the host returns no items.
/// </summary>
public interface ICredentialSource
{
    /// <summary>The source name used in <c>SessionSpec.Credentials</c>: lower-case letters, digits and '-'.</summary>
    string Name { get; }

    /// <summary>Returns what this source contributes to the package. Reads host metadata only, never logs contents.</summary>
    Task<IReadOnlyList<CredentialItem>> GetItemsAsync(CancellationToken cancellationToken = default);
}
