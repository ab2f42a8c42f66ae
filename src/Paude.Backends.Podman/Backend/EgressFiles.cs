using System.Formats.Tar;
using System.Text;
using Paude.Egress;

namespace Paude.Backends.Podman.Backend;

/// <summary>
/// The files of the proxy config volume: <c>squid.conf</c> (rendered) and <c>policy</c> (the allow-list entries, one
/// per line). The policy file is the source of truth for the current allow-list, so a change survives a proxy
/// re-creation; the agent's label keeps only the allow-list the session was created with.
/// </summary>
internal static class EgressFiles
{
    public const string PolicyFile = "policy";
    public const string ConfigFile = "squid.conf";

    /// <summary>Caps what is read back from the volume: the file comes from the engine, not from us.</summary>
    private const int MaxPolicyBytes = 1024 * 1024;

    /// <summary>A tar archive holding both files (small: built in memory).</summary>
    public static byte[] Archive(EgressPolicy policy)
    {
        using var ms = new MemoryStream();
        using (var writer = new TarWriter(ms, TarEntryFormat.Pax, leaveOpen: true))
        {
            Add(writer, PolicyFile, PolicyText(policy));
            Add(writer, ConfigFile, SquidConfig.Render(policy));
        }

        return ms.ToArray();
    }

    public static string PolicyText(EgressPolicy policy) => string.Join('\n', policy.Entries) + "\n";

    /// <summary>
    /// Reads the policy file out of a tar archive of the config volume (through the safe extractor: the archive is
    /// podman's, its content the volume's); <c>null</c> when it is not there.
    /// </summary>
    /// <exception cref="Errors.UnsafeContentException">The archive is invalid or the file is over its cap.</exception>
    public static async Task<EgressPolicy?> ReadPolicyAsync(Stream tar, CancellationToken cancellationToken)
    {
        var content = await SafeTarFile.ReadAsync(tar, PolicyFile, MaxPolicyBytes, text => text.ReadToEnd(), cancellationToken).ConfigureAwait(false);
        return content is null ? null : EgressPolicy.Parse(content.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    private static void Add(TarWriter writer, string name, string content)
    {
        var entry = new PaxTarEntry(TarEntryType.RegularFile, name)
        {
            Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead,
            DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)),
        };
        writer.WriteEntry(entry);
    }
}
