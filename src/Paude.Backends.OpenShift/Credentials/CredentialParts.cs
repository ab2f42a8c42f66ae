using System.Globalization;
using System.Security.Cryptography;
using System.Text;

using Paude.Credentials;
using Paude.Sessions;

namespace Paude.Backends.OpenShift.Credentials;

/// <summary>One part of a split credential package.</summary>
/// <param name="Index">0-based position.</param>
/// <param name="Name">The file/key name (<c>part-0000</c>...).</param>
/// <param name="Data">The raw bytes (not base64); valid only during the <c>onPart</c> callback of <see cref="CredentialParts.SplitAsync"/>.</param>
/// <param name="Sha256">Lower-case hex SHA-256 of <paramref name="Data"/>.</param>
internal sealed record CredentialPart(int Index, string Name, ReadOnlyMemory<byte> Data, string Sha256);

/// <summary>Name, size and hash of one part, as listed in the parts manifest.</summary>
/// <param name="Name">The part name.</param>
/// <param name="Size">Its length in bytes.</param>
/// <param name="Sha256">Its lower-case hex SHA-256.</param>
internal sealed record CredentialPartInfo(string Name, long Size, string Sha256);

/// <summary>How to reassemble and verify a split package (file <see cref="FileName"/> next to the parts).</summary>
/// <param name="Parts">The parts in order.</param>
/// <param name="TotalSize">The package length.</param>
/// <param name="Sha256">The package's lower-case hex SHA-256.</param>
internal sealed record CredentialPartsManifest(IReadOnlyList<CredentialPartInfo> Parts, long TotalSize, string Sha256)
{
    /// <summary>The manifest's file/key name next to the parts.</summary>
    public const string FileName = "parts.manifest";

    /// <summary>
    /// The text form read by <c>paude-restore-credentials</c>: a header line, <c>package SHA SIZE</c>, then
    /// <c>part SHA SIZE NAME</c> per part in order.
    /// </summary>
    public string ToText()
    {
        var text = new StringBuilder("# paude credential parts v1\n");
        text.Append(CultureInfo.InvariantCulture, $"package {Sha256} {TotalSize}\n");
        foreach (var part in Parts)
        {
            text.Append(CultureInfo.InvariantCulture, $"part {part.Sha256} {part.Size} {part.Name}\n");
        }

        return text.ToString();
    }
}

/// <summary>
/// Splits a credential package into parts that each fit a Kubernetes Secret, and reassembles them with
/// verification. The Secret limit is 1 MiB for the whole object including base64 (4/3) and metadata, so the
/// default part holds 700 KiB of raw bytes (≈ 933 KiB base64, leaving ≈ 90 KiB for keys, labels and annotations).
/// </summary>
internal static class CredentialParts
{
    /// <summary>The Kubernetes Secret size limit (data plus metadata).</summary>
    public const int SecretLimitBytes = 1024 * 1024;

    /// <summary>The default raw bytes per part.</summary>
    public const int DefaultMaxPartBytes = 700 * 1024;

    /// <summary>The in-container restore step installed by the agent image.</summary>
    public const string RestoreScript = AgentContract.RestoreCredentialsCommand;

    /// <summary>
    /// The command (argument vector) that reassembles the parts found in <paramref name="partsDirectory"/> (all
    /// <c>part-NNNN</c> keys and <see cref="CredentialPartsManifest.FileName"/> in one folder, e.g. a projected
    /// volume of the Secrets), verifies them, and unpacks into the memory-backed <paramref name="credentialsDirectory"/>.
    /// </summary>
    public static IReadOnlyList<string> RestoreFromPartsCommand(string partsDirectory, string credentialsDirectory = AgentContract.CredentialsPath) =>
        [RestoreScript, "--parts", partsDirectory, credentialsDirectory];

    /// <summary>The base64 length of <paramref name="rawBytes"/> bytes, as stored in a Secret.</summary>
    public static long Base64Length(long rawBytes) => (rawBytes + 2) / 3 * 4;

    /// <summary>
    /// Reads <paramref name="package"/> to its end and hands each part to <paramref name="onPart"/> as soon as it
    /// is full; only one part is held in memory. Returns the manifest (an empty package yields one empty part).
    /// </summary>
    public static async Task<CredentialPartsManifest> SplitAsync(
        Stream package, Func<CredentialPart, CancellationToken, ValueTask> onPart, int maxPartBytes = DefaultMaxPartBytes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(package);
        ArgumentNullException.ThrowIfNull(onPart);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPartBytes, 1024);
        using var whole = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var parts = new List<CredentialPartInfo>();
        var buffer = new byte[maxPartBytes];
        long total = 0;
        while (true)
        {
            var filled = 0;
            while (filled < buffer.Length)
            {
                var read = await package.ReadAsync(buffer.AsMemory(filled), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                filled += read;
            }

            if (filled == 0 && parts.Count > 0)
            {
                break;
            }

            var data = buffer.AsMemory(0, filled);
            whole.AppendData(data.Span);
            total += filled;
            var part = new CredentialPart(parts.Count, PartName(parts.Count), data, Hex(SHA256.HashData(data.Span)));
            parts.Add(new CredentialPartInfo(part.Name, filled, part.Sha256));
            await onPart(part, cancellationToken).ConfigureAwait(false);
            if (filled < buffer.Length)
            {
                break;
            }
        }

        return new CredentialPartsManifest(parts, total, Hex(whole.GetHashAndReset()));
    }

    /// <summary>
    /// Writes the parts back together into <paramref name="destination"/>, verifying every part and the whole.
    /// <paramref name="openPart"/> returns <c>null</c> for a missing part.
    /// </summary>
    /// <exception cref="CredentialPartsException">A part is missing, has the wrong size or hash, or the whole does not match (size or hash).</exception>
    public static async Task ReassembleAsync(
        CredentialPartsManifest manifest, Func<string, Stream?> openPart, Stream destination, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(openPart);
        ArgumentNullException.ThrowIfNull(destination);
        using var whole = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long total = 0;
        foreach (var info in manifest.Parts)
        {
            var stream = openPart(info.Name) ?? throw new CredentialPartsException($"Credential part '{info.Name}' is missing.");
            byte[] data;
            await using (stream.ConfigureAwait(false))
            {
                // The parts come from Secrets anyone with access to the namespace can edit: read at most one byte more
                // than the manifest declares, so an oversized part costs no more memory than an honest one.
                data = await ReadAtMostAsync(stream, info.Size < 0 ? 0 : info.Size + 1, cancellationToken).ConfigureAwait(false);
            }

            total += data.Length;
            if (data.Length != info.Size || Hex(SHA256.HashData(data)) != info.Sha256)
            {
                throw new CredentialPartsException($"Credential part '{info.Name}' is corrupted (size or SHA-256 does not match the manifest).");
            }

            whole.AppendData(data);
            await destination.WriteAsync(data, cancellationToken).ConfigureAwait(false);
        }

        if (total != manifest.TotalSize || Hex(whole.GetHashAndReset()) != manifest.Sha256)
        {
            throw new CredentialPartsException("The reassembled credential package does not match the manifest's size and SHA-256.");
        }
    }

    private static async Task<byte[]> ReadAtMostAsync(Stream stream, long limit, CancellationToken cancellationToken)
    {
        using var copy = new MemoryStream();
        var buffer = new byte[81920];
        while (copy.Length < limit)
        {
            var read = await stream.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, limit - copy.Length)), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }

            copy.Write(buffer, 0, read);
        }

        return copy.ToArray();
    }

    /// <summary>The name of part <paramref name="index"/>.</summary>
    public static string PartName(int index) => string.Create(CultureInfo.InvariantCulture, $"part-{index:D4}");

    private static string Hex(byte[] hash) => Convert.ToHexStringLower(hash);
}

/// <summary>A split credential package is incomplete or corrupted (what <see cref="CredentialParts.ReassembleAsync"/> refuses).</summary>
internal sealed class CredentialPartsException(string message) : CredentialPackagingException(message);
