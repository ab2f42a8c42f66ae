using System.Text;
using System.Text.Json;
using Paude.Errors;

namespace Paude.Backends.OpenShift;

/// <summary>
/// A registry login for an image pull Secret (<see cref="OpenShiftPullSecrets"/>). The password is never printed:
/// <see cref="ToString"/> leaves it out, and the validation messages name the field, not its value.
/// </summary>
/// <param name="Server">The registry host (and port), e.g. <c>quay.io</c> or <c>registry.example.com:5000</c>.</param>
/// <param name="Username">The registry user (or robot account).</param>
/// <param name="Password">The password or token.</param>
public sealed record RegistryCredential(string Server, string Username, string Password)
{
    /// <summary>Every problem with this credential (empty when valid); never contains the password.</summary>
    /// <returns>The problems.</returns>
    public IReadOnlyList<string> GetErrors()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(Server) || Server.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c == '/'))
        {
            errors.Add("Server: must be a registry host[:port] without a scheme, path or whitespace");
        }

        if (string.IsNullOrEmpty(Username) || Username.Contains(':', StringComparison.Ordinal) || Username.Any(char.IsControl))
        {
            errors.Add("Username: must not be empty or contain ':' or control characters");
        }

        if (string.IsNullOrEmpty(Password))
        {
            errors.Add("Password: must not be empty");
        }

        return errors;
    }

    /// <summary>Hides the password (records print every member).</summary>
    /// <returns>The server and user.</returns>
    public override string ToString() => $"RegistryCredential {{ Server = {Server}, Username = {Username} }}";

    /// <summary>The <c>.dockerconfigjson</c> document kubelets and <c>kubectl create secret docker-registry</c> use.</summary>
    internal byte[] DockerConfigJson()
    {
        var errors = GetErrors();
        if (errors.Count > 0)
        {
            throw new InvalidOptionsException("registry credential", errors);
        }

        var auth = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Username}:{Password}"));
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartObject("auths");
            json.WriteStartObject(Server);
            json.WriteString("username", Username);
            json.WriteString("password", Password);
            json.WriteString("auth", auth);
            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }
}
