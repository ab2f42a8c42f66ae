
namespace Paude.Tests.Kubernetes.Faults;

/// <summary>
/// Everything in Podman (and netavark's NAT table) that still carries one test server's id: what its disposal must
/// leave empty. The NAT chain is looked up by name while the server runs (netavark names it after the network's id,
/// so a later network given the same subnet has another one).
/// </summary>
internal static class ServerLeftovers
{
    public static async Task<string?> NatChainAsync(string network)
    {
        var subnet = (await Podman.CheckAsync("network", "inspect", "--format", "{{range .Subnets}}{{.Subnet}}{{end}}", network)).Trim();
        var rules = await ProcessRunner.RunAsync("iptables", ["-t", "nat", "-S", "POSTROUTING"]);
        return rules.StandardOutput.Split('\n')
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(w => w.Length == 6 && w[2] == "-s" && w[3] == subnet && w[4] == "-j")
            .Select(w => w[5])
            .FirstOrDefault();
    }

    public static async Task<IReadOnlyList<string>> ListAsync(string serverId, string? natChain)
    {
        var label = $"label=paude.kubetest={serverId}";
        var left = new List<string>();
        left.AddRange((await Podman.LinesAsync("ps", "-a", "--filter", label, "--format", "{{.Names}}")).Select(n => "container " + n));
        left.AddRange((await Podman.LinesAsync("pod", "ps", "--filter", label, "--format", "{{.Name}}")).Select(n => "pod " + n));
        left.AddRange((await Podman.LinesAsync("volume", "ls", "--filter", label, "--format", "{{.Name}}")).Select(n => "volume " + n));
        left.AddRange((await Podman.LinesAsync("network", "ls", "--filter", label, "--format", "{{.Name}}")).Select(n => "network " + n));
        left.AddRange((await Podman.LinesAsync("network", "ls", "--filter", $"name=^kt-{serverId}$", "--format", "{{.Name}}")).Select(n => "network " + n));
        left.AddRange((await Podman.LinesAsync("images", "--filter", label, "--format", "{{.Repository}}:{{.Tag}}")).Select(n => "image " + n));
        left.AddRange((await Podman.LinesAsync("images", "--format", "{{.Repository}}:{{.Tag}}"))
            .Where(n => n.StartsWith($"localhost/kt-{serverId}/", StringComparison.Ordinal)).Select(n => "image " + n));
        if (natChain is not null)
        {
            var nat = await ProcessRunner.RunAsync("iptables", ["-t", "nat", "-S"]);
            left.AddRange(nat.StandardOutput.Split('\n').Where(l => l.Contains(natChain, StringComparison.Ordinal)).Select(l => "nat " + l.Trim()));
        }

        return left.Distinct().ToList();
    }
}
