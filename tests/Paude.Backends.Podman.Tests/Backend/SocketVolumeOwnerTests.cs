using System.Security.Cryptography;
using Paude.Backends.Podman.Backend;

namespace Paude.Tests.Backend;

/// <summary>
/// The agent's and the proxy's containers start at the same time, and both mount the session's fresh socket volume.
/// Podman gives a fresh volume the owner of the first container that mounts it, unless the volume was created with
/// an owner: then no container's mount changes it, and only the proxy's <c>:U</c> does (its squid user must create
/// the socket there). Here the agent's mount, as an arbitrary UID, comes first and again last; the proxy still
/// creates its socket, and the agent's mounts never change the folder. (Before, an agent mount that landed after the
/// proxy's chown left the folder to the agent: squid's socket never appeared and the create hung.)
/// </summary>
public sealed class SocketVolumeOwnerTests
{
    private const string AgentImage = "localhost/paude-agent:latest";
    private const string ProxyImage = "localhost/paude-proxy:latest";

    [Fact]
    public async Task Agent_mounts_never_change_the_socket_folder_whatever_their_order()
    {
        var volume = "paude-sockown" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3)) + ".sock";
        await Podman.CheckAsync(["volume", "create", .. PodmanRunArgs.SocketVolumeOptions, volume]);
        try
        {
            var fresh = await OwnerAsync(volume);
            await AgentMountAsync(volume);
            Assert.Equal(fresh, await OwnerAsync(volume));

            // The proxy's mount (:U, as its image's user) makes the folder its own, and squid's user can create there.
            var made = await Podman.CheckAsync(
                "run", "--rm", "--network", "none", "-v", $"{volume}:{PodmanNames.SocketDirectory}:U", "--entrypoint", "bash", ProxyImage,
                "-c", $"touch {PodmanNames.SocketDirectory}/probe && id -u");
            var proxyOwned = await OwnerAsync(volume);
            Assert.StartsWith(made.Trim() + ":", proxyOwned, StringComparison.Ordinal);

            // An agent mounting it afterwards (the order of the race) leaves it the proxy's.
            await AgentMountAsync(volume);
            Assert.Equal(proxyOwned, await OwnerAsync(volume));
        }
        finally
        {
            await Podman.RunAsync("volume", "rm", "-f", volume);
        }
    }

    /// <summary>A container of the agent image mounting the volume read-only as an arbitrary UID, as the agent does.</summary>
    private static Task<string> AgentMountAsync(string volume) =>
        Podman.CheckAsync(
            "run", "--rm", "--network", "none", "--user", "1000680000:0", "-v", $"{volume}:{PodmanNames.SocketDirectory}:ro",
            "--entrypoint", "true", AgentImage);

    /// <summary>uid:gid:mode of the volume's folder on the host (not through a container: a mount could change it).</summary>
    private static async Task<string> OwnerAsync(string volume)
    {
        var path = (await Podman.CheckAsync("volume", "inspect", "--format", "{{.Mountpoint}}", volume)).Trim();
        return (await ProcessRunner.RunAsync("stat", ["-c", "%u:%g:%a", path])).EnsureSuccess("stat").StandardOutput.Trim();
    }
}
