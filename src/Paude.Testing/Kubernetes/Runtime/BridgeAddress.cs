using System.Diagnostics;

namespace Paude.Testing.Kubernetes.Runtime;

/// <summary>
/// Keeps the MAC address of the server network's Linux bridge (the pods' gateway and DNS server) fixed while pods
/// come and go, as a cluster node's gateway stays put.
/// </summary>
/// <remarks>
/// A bridge whose address was never set takes the lowest address of its ports. Every pod start, Service reconnect
/// (<see cref="PodRuntime"/> reconnects a container to change its aliases) and pod deletion adds or removes a port with
/// a random address, so the bridge's address changed about every other time; the other pods' ARP entries for the
/// gateway then pointed at the old address and their DNS queries were lost until the entry expired, 5 to 45 s later
/// (measured: name lookups from one pod failing for 40 s after another pod's reconnect; none once pinned).
/// Setting the address once (<c>ip link set</c>, the bridge's current one) stops the kernel from changing it for the
/// bridge's lifetime. Netavark deletes the bridge with its last container and makes a new one later, so this is checked
/// after every container start (a sysfs read) and set again when needed. Without <c>ip</c> nothing is done: lookups are
/// only slower. An <c>ip</c> that fails (no rights: rootless Podman) is reported once per bridge with its own words
/// (<see cref="InvalidOperationException"/>), not retried after every start, and no longer passes for success.
/// </remarks>
internal sealed class BridgeAddress(PodmanCli podman, string network, string ip = "ip")
{
    /// <summary><c>addr_assign_type</c> of an address set by user space (<c>NET_ADDR_SET</c>).</summary>
    private const string AddressSet = "3";

    private string? _bridge;
    private string? _failed;

    /// <summary>Sets the bridge's address to its current one unless that was done (or failed) for this bridge already.</summary>
    /// <exception cref="InvalidOperationException"><c>ip</c> failed: its exit code and error (once per bridge).</exception>
    public async Task PinAsync(CancellationToken ct)
    {
        _bridge ??= await BridgeNameAsync(ct).ConfigureAwait(false);
        if (_bridge is not { Length: > 0 } bridge || bridge.Contains('/', StringComparison.Ordinal) || bridge.StartsWith('.') || _failed == bridge)
        {
            return;
        }

        var sys = Path.Combine("/sys/class/net", bridge);
        try
        {
            if (!Directory.Exists(sys) || (await File.ReadAllTextAsync(Path.Combine(sys, "addr_assign_type"), ct).ConfigureAwait(false)).Trim() == AddressSet)
            {
                return;
            }

            var address = (await File.ReadAllTextAsync(Path.Combine(sys, "address"), ct).ConfigureAwait(false)).Trim();
            var (code, stderr) = await RunIpAsync(["link", "set", "dev", bridge, "address", address], ct).ConfigureAwait(false);
            if (code != 0 && Directory.Exists(sys))
            {
                _failed = bridge;
                throw new InvalidOperationException($"Could not pin the address of bridge {bridge} (network {network}): ip link set exited with {code}: {stderr.Trim()}");
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.ComponentModel.Win32Exception)
        {
            // The bridge went meanwhile (the next start checks again), or there is no ip to run.
        }
    }

    private async Task<string?> BridgeNameAsync(CancellationToken ct)
    {
        var (code, stdout, _) = await podman.RunAsync(["network", "inspect", "--format", "{{.NetworkInterface}}", network], ct).ConfigureAwait(false);
        return code == 0 ? stdout.Trim() : null;
    }

    private async Task<(int ExitCode, string StdErr)> RunIpAsync(IEnumerable<string> args, CancellationToken ct)
    {
        var info = new ProcessStartInfo(ip) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info) ?? throw new IOException("ip could not be started");
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct).ConfigureAwait(false);
        await Task.WhenAll(stdout, stderr).ConfigureAwait(false);
        return (process.ExitCode, await stderr.ConfigureAwait(false));
    }
}
