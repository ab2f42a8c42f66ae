using System.Collections.Concurrent;
using System.Globalization;

namespace Paude.Testing.Kubernetes.Runtime;

/// <summary>
/// Names, labels and host directories of everything one server creates in Podman, and their removal. Every
/// container, volume and network carries <see cref="ServerLabel"/>=<c>serverId</c>, so disposal (or a later
/// clean-up after a crash) finds them by label alone.
/// </summary>
internal sealed class ServerResources(string serverId, PodmanCli podman, IReadOnlyDictionary<string, string> extraLabels)
{
    public const string ServerLabel = "paude.kubetest";
    public const string PodLabel = "paude.kubetest.pod";
    public const string PodUidLabel = "paude.kubetest.pod-uid";
    public const string ClaimLabel = "paude.kubetest.claim";

    private readonly ConcurrentDictionary<string, bool> _volumes = new(StringComparer.Ordinal);

    public string ServerId { get; } = serverId;

    public string Network => $"kt-{ServerId}";

    public string Root { get; } = Directory.CreateTempSubdirectory($"paude-kubetest-{serverId}-").FullName;

    public IEnumerable<KeyValuePair<string, string>> Labels =>
        extraLabels.Append(new KeyValuePair<string, string>(ServerLabel, ServerId));

    public string Container(string ns, string pod, string container) => $"kt-{ServerId}-{ns}-{pod}-{container}";

    public string Volume(string ns, string claim) => $"kt-{ServerId}-{ns}-{claim}";

    public string PodDirectory(string podUid, string kind, string volume)
    {
        var dir = Path.Combine(Root, "pods", podUid, kind, volume);
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>A pod volume's host directory if it was made (null otherwise); never creates one.</summary>
    public string? ExistingPodDirectory(string podUid, string kind, string volume)
    {
        var dir = Path.Combine(Root, "pods", podUid, kind, volume);
        return Directory.Exists(dir) ? dir : null;
    }

    public void DeletePodDirectory(string podUid)
    {
        var dir = Path.Combine(Root, "pods", podUid);
        if (Directory.Exists(dir))
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    public async Task CreateNetworkAsync(CancellationToken ct)
    {
        var args = new List<string> { "network", "create" };
        foreach (var (k, v) in Labels)
        {
            args.AddRange(["--label", $"{k}={v}"]);
        }

        args.Add(Network);
        await podman.CheckedAsync(args, ct).ConfigureAwait(false);
    }

    public async Task<string> EnsureVolumeAsync(string ns, string claim, CancellationToken ct)
    {
        var name = Volume(ns, claim);
        if (_volumes.ContainsKey(name))
        {
            return name;
        }

        var (exists, _, _) = await podman.RunAsync(["volume", "exists", name], ct).ConfigureAwait(false);
        if (exists != 0)
        {
            var args = new List<string> { "volume", "create" };
            foreach (var (k, v) in Labels)
            {
                args.AddRange(["--label", $"{k}={v}"]);
            }

            args.AddRange(["--label", $"{ClaimLabel}={ns}.{claim}", name]);
            await podman.CheckedAsync(args, ct).ConfigureAwait(false);
        }

        _volumes[name] = true;
        return name;
    }

    /// <summary>Removes a claim's volume unless a container still uses it (then false: try again later).</summary>
    public async Task<bool> RemoveVolumeAsync(string ns, string claim, CancellationToken ct)
    {
        var name = Volume(ns, claim);
        var (exists, _, _) = await podman.RunAsync(["volume", "exists", name], ct).ConfigureAwait(false);
        if (exists != 0)
        {
            _volumes.TryRemove(name, out _);
            return true;
        }

        var (code, _, _) = await podman.RunAsync(["volume", "rm", name], ct).ConfigureAwait(false);
        if (code == 0)
        {
            _volumes.TryRemove(name, out _);
        }

        return code == 0;
    }

    /// <summary>Removes every container, volume, network and image labelled with this server, then its directory.</summary>
    public async Task RemoveAllAsync(CancellationToken ct)
    {
        // Repeated until a listing comes back empty: a `podman create` killed by the shutdown can still finish
        // after the first listing (one such container once outlived its server, keeping the network too).
        for (var attempt = 1; ; attempt++)
        {
            var ids = await ListAsync(["ps", "-a", "-q"], ct).ConfigureAwait(false);
            if (ids.Length > 0)
            {
                await podman.RunAsync(["rm", "--force", "--time", "0", .. ids], ct).ConfigureAwait(false);
            }

            var volumes = await ListAsync(["volume", "ls", "-q"], ct).ConfigureAwait(false);
            if (volumes.Length > 0)
            {
                await podman.RunAsync(["volume", "rm", "--force", .. volumes], ct).ConfigureAwait(false);
            }

            await podman.RunAsync(["network", "rm", "--force", Network], ct).ConfigureAwait(false);

            // Images binary builds made (the internal registry's content).
            var images = await ListAsync(["images", "-q"], ct).ConfigureAwait(false);
            if (images.Length > 0)
            {
                await podman.RunAsync(["rmi", "--force", .. images.Distinct()], ct).ConfigureAwait(false);
            }

            // The network too: its removal fails while a container that outlived the first listing is attached.
            var left = (await ListAsync(["ps", "-a", "-q"], ct).ConfigureAwait(false)).Length
                + (await ListAsync(["volume", "ls", "-q"], ct).ConfigureAwait(false)).Length
                + (await ListAsync(["network", "ls", "-q"], ct).ConfigureAwait(false)).Length;
            if (left == 0 || attempt == 5)
            {
                break;
            }

            await Task.Delay(TimeSpan.FromSeconds(1), ct).ConfigureAwait(false);
        }

        _volumes.Clear();
        if (Directory.Exists(Root))
        {
            Directory.Delete(Root, recursive: true);
        }
    }

    private async Task<string[]> ListAsync(string[] command, CancellationToken ct) =>
        (await podman.ListAsync([.. command, "--filter", $"label={ServerLabel}={ServerId}"], ct).ConfigureAwait(false))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public static string NewServerId() =>
        Convert.ToHexString(Guid.NewGuid().ToByteArray())[..8].ToLower(CultureInfo.InvariantCulture);
}
