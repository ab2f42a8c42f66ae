using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Paude.Testing.Kubernetes.Registry;

/// <summary>
/// The registry's login, as Docker Distribution's token auth does it: an anonymous request gets <c>401</c> with a
/// <c>Bearer</c> challenge naming the token endpoint; the client fetches a token there with Basic credentials and
/// repeats the request with it. Basic credentials sent with the request itself are accepted too. Every request needs
/// a login (pulls included): a pod pulls only with a pull secret holding <see cref="TestRegistry"/>'s credentials.
/// </summary>
internal sealed class RegistryAuth(TestRegistry registry)
{
    public const string Service = "paude-test-registry";

    private readonly ConcurrentDictionary<string, byte> _tokens = new(StringComparer.Ordinal);

    /// <summary>Whether the request carries valid Basic credentials or a token this registry issued.</summary>
    public bool Allows(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return _tokens.ContainsKey(header[7..].Trim());
        }

        return ValidBasic(header);
    }

    /// <summary>The challenge of a refused request, pointing at the token endpoint of the address the client used.</summary>
    public static string Challenge(HttpRequest request) =>
        $"Bearer realm=\"http://{request.Host}/token\",service=\"{Service}\"";

    /// <summary>A new token for valid Basic credentials, else null.</summary>
    public string? IssueToken(HttpRequest request)
    {
        if (!ValidBasic(request.Headers.Authorization.ToString()))
        {
            return null;
        }

        var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        _tokens[token] = 0;
        return token;
    }

    private bool ValidBasic(string header)
    {
        if (!header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        try
        {
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(header[6..].Trim()));
            return text.Split(':', 2) is [var user, var password]
                && FixedEquals(user, registry.Username) && FixedEquals(password, registry.Password);
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private static bool FixedEquals(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(a), Encoding.UTF8.GetBytes(b));
}
