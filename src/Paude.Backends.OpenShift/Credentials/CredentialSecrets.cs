using System.Globalization;
using System.Text;
using k8s.Models;
using Paude.Backends.OpenShift.Manifests;
using Paude.Credentials;
using Paude.Sessions;

namespace Paude.Backends.OpenShift.Credentials;

/// <summary>
/// Names and bodies of the Secrets that carry a session's split credential package: Secret
/// <c>paude-creds-&lt;name&gt;-&lt;k&gt;</c> holds key <c>part-000k</c>; Secret 0 also holds
/// <see cref="CredentialPartsManifest.FileName"/>. Each stays within the 1 MiB Secret limit: a part is at most
/// <see cref="CredentialParts.DefaultMaxPartBytes"/> raw bytes (≈ 933 KiB base64) and the manifest is ~90 bytes a part.
/// </summary>
internal static class CredentialSecrets
{
    /// <summary>The role label value of credential Secrets (they are neither agent nor proxy objects).</summary>
    public const string RoleCredentials = "credentials";

    /// <summary>The name prefix of every credential Secret of a session.</summary>
    public static string Prefix(SessionName name) => $"paude-creds-{name.Value}-";

    public static string SecretName(SessionName name, int index) => Prefix(name) + index.ToString(CultureInfo.InvariantCulture);

    /// <summary>The index of a credential Secret of <paramref name="name"/>, or <c>null</c> for any other name.</summary>
    public static int? IndexOf(SessionName name, string secretName)
    {
        var prefix = Prefix(name);
        return secretName.StartsWith(prefix, StringComparison.Ordinal)
            && int.TryParse(secretName.AsSpan(prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var index)
            ? index
            : null;
    }

    /// <summary>The selector of a session's credential Secrets.</summary>
    public static string Selector(SessionName name) => $"{SessionLabels.SessionSelector(name)},{SessionLabelKeys.Role}={RoleCredentials}";

    /// <summary>
    /// The Secret of one part. <paramref name="data"/> is copied (the splitter reuses its buffer);
    /// <paramref name="manifest"/> is added to part 0 only.
    /// </summary>
    public static V1Secret Build(SessionName name, string ns, int index, string partName, ReadOnlySpan<byte> data, CredentialPartsManifest? manifest)
    {
        var content = new Dictionary<string, byte[]>(StringComparer.Ordinal) { [partName] = data.ToArray() };
        if (manifest is not null)
        {
            content[CredentialPartsManifest.FileName] = Encoding.UTF8.GetBytes(manifest.ToText());
        }

        return new V1Secret
        {
            ApiVersion = "v1",
            Kind = "Secret",
            Type = "Opaque",
            Metadata = new V1ObjectMeta
            {
                Name = SecretName(name, index),
                NamespaceProperty = ns,
                Labels = SessionLabels.ForRole(name, RoleCredentials),
            },
            Data = content,
        };
    }
}
