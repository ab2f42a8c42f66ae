using Paude.Errors;

namespace Paude.Credentials;

/// <summary>A credential package could not be built; nothing was delivered. Never carries secret values.</summary>
public class CredentialPackagingException : PaudeException
{
    /// <summary>Creates the exception.</summary>
    public CredentialPackagingException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}

/// <summary>A requested credential source is not registered.</summary>
public sealed class CredentialSourceNotFoundException(string name, IReadOnlyCollection<string> known)
    : CredentialPackagingException($"Unknown credential source '{name}' (known: {(known.Count == 0 ? "none" : string.Join(", ", known))}).")
{
    /// <summary>The requested name.</summary>
    public string Name { get; } = name;
}

/// <summary>
/// Symbolic links lead outside the packaged tree and outside every allowed root; they were not followed.
/// </summary>
public sealed class CredentialLinkRefusedException(IReadOnlyList<string> links)
    : CredentialPackagingException(
        "Refused symbolic link(s) leading outside the credential tree and the allowed roots (not followed): " + string.Join(", ", links)
        + ". Add the target folder to CredentialOptions.AllowedLinkRoots to copy it, or set OutsideLinks = Skip.")
{
    /// <summary>The refused links, as host paths, with their targets.</summary>
    public IReadOnlyList<string> Links { get; } = links;
}
