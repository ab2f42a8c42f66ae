using System.Text.RegularExpressions;

namespace Paude.Backends.Podman;

/// <summary>
/// What <see cref="PodmanImagePusher.PushAsync"/> pushes: a local image to a registry reference any cluster can pull.
/// The password is never printed: <see cref="ToString"/> leaves it out and the validation messages name the field,
/// not its value.
/// </summary>
/// <param name="Source">The local image, e.g. <c>localhost/paude-agent:latest</c>.</param>
/// <param name="Destination">
/// The registry reference, <c>host[:port]/path[:tag]</c> (tag <c>latest</c> when none), e.g.
/// <c>quay.io/team/paude-agent:v1</c>. The first component must name the registry (contain a <c>.</c> or <c>:</c>, or be
/// <c>localhost</c>), so a push never goes to a registry podman would pick from its search list.
/// </param>
public sealed partial record ImagePushRequest(string Source, string Destination)
{
    /// <summary>The registry user; <see langword="null"/> to use the logins podman already has (<c>podman login</c>, docker's config).</summary>
    public string? Username { get; init; }

    /// <summary>The password or token for <see cref="Username"/> (both or neither).</summary>
    public string? Password { get; init; }

    /// <summary>Verify the registry's TLS certificate (default). <see langword="false"/> only for a test or insecure registry (also allows plain HTTP).</summary>
    public bool TlsVerify { get; init; } = true;

    /// <summary>How long the push may take. Default 30 minutes.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>The registry host (and port) of <see cref="Destination"/>.</summary>
    public string Registry => Destination.Split('/', 2)[0];

    /// <summary><see cref="Destination"/> with its tag (<c>:latest</c> added when it has none).</summary>
    public string TaggedDestination
    {
        get
        {
            var slash = Destination.LastIndexOf('/');
            return Destination.IndexOf(':', slash + 1) > 0 ? Destination : Destination + ":latest";
        }
    }

    /// <summary>Every problem with this request (empty when valid); never contains the password.</summary>
    /// <returns>The problems.</returns>
    public IReadOnlyList<string> GetErrors()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(Source) || Source.StartsWith('-') || Source.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
        {
            errors.Add("Source: must be a local image reference without whitespace, not starting with '-'");
        }

        if (Destination is null || !DestinationRule().IsMatch(Destination) || Destination.Contains("//", StringComparison.Ordinal))
        {
            errors.Add("Destination: must be a registry reference host[:port]/path[:tag] (lowercase path, no scheme, no digest), e.g. quay.io/team/paude-agent:v1");
        }
        else if (Registry is var host && host != "localhost" && !host.Contains('.', StringComparison.Ordinal) && !host.Contains(':', StringComparison.Ordinal))
        {
            errors.Add($"Destination: '{host}' is not a registry host (name the registry: registry.example/{Destination})");
        }

        if ((Username is null) != (Password is null))
        {
            errors.Add("Username and Password: give both (a login) or neither (podman's own logins)");
        }

        if (Username is not null && (Username.Length == 0 || Username.Contains(':', StringComparison.Ordinal) || Username.Any(char.IsControl)))
        {
            errors.Add("Username: must not be empty or contain ':' or control characters");
        }

        if (Password is not null && Password.Length == 0)
        {
            errors.Add("Password: must not be empty");
        }

        if (Timeout <= TimeSpan.Zero)
        {
            errors.Add("Timeout: must be positive");
        }

        return errors;
    }

    /// <summary>Hides the password (records print every member).</summary>
    /// <returns>Source, destination, user and TLS setting.</returns>
    public override string ToString() =>
        $"ImagePushRequest {{ Source = {Source}, Destination = {Destination}, Username = {Username}, TlsVerify = {TlsVerify} }}";

    // host[:port] / lowercase path components (OCI distribution's rule) [:tag]
    [GeneratedRegex(@"^[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)+(:[A-Za-z0-9_][A-Za-z0-9._-]{0,127})?$")]
    private static partial Regex DestinationRule();
}
