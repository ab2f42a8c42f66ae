using Paude.Sessions;

namespace Paude.Backends.Podman;

/// <summary>
/// Options of one Podman backend registration (<c>AddPodmanBackend(name, configure)</c>). Validated once at start-up;
/// <see cref="GetErrors"/> lists every problem together.
/// </summary>
public sealed class PodmanBackendOptions
{
    /// <summary>The podman binary: a name looked up on PATH or an absolute path. Default <c>podman</c>.</summary>
    public string PodmanPath { get; set; } = "podman";

    /// <summary>The agent image used when a session spec names none.</summary>
    public string AgentImage { get; set; } = "localhost/paude-agent:latest";

    /// <summary>The egress proxy image used when a session spec names none.</summary>
    public string ProxyImage { get; set; } = "localhost/paude-proxy:latest";

    /// <summary>The user sessions run as when the spec names none (<c>UID[:GID]</c>); <c>null</c> = the image's user.</summary>
    public string? DefaultUser { get; set; }

    /// <summary>The networks (besides the session's internal one) the proxy joins to reach the outside. Default <c>podman</c>.</summary>
    public IList<string> ProxyNetworks { get; set; } = ["podman"];

    /// <summary>How long <c>podman stop</c> waits before it kills a container. Default 10 seconds.</summary>
    public TimeSpan StopTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long create/start may take to bring the session up (credential delivery included). Default 2 minutes.</summary>
    public TimeSpan ReadyTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Extra labels put on every resource this backend creates (e.g. a test-run id for cleanup).</summary>
    public IDictionary<string, string> ExtraLabels { get; set; } = new Dictionary<string, string>();

    /// <summary>Returns every problem with these options (empty when valid).</summary>
    public IReadOnlyList<string> GetErrors()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(PodmanPath))
        {
            errors.Add("PodmanPath: must not be empty");
        }

        if (string.IsNullOrWhiteSpace(AgentImage))
        {
            errors.Add("AgentImage: must not be empty");
        }

        if (string.IsNullOrWhiteSpace(ProxyImage))
        {
            errors.Add("ProxyImage: must not be empty");
        }

        if (DefaultUser is not null && new SessionSpec { Name = SessionName.Parse("x"), User = DefaultUser }.GetErrors().Count > 0)
        {
            errors.Add($"DefaultUser: '{DefaultUser}' is not UID or UID:GID with numeric ids");
        }

        if (ProxyNetworks is null || ProxyNetworks.Count == 0 || ProxyNetworks.Any(string.IsNullOrWhiteSpace))
        {
            errors.Add("ProxyNetworks: needs at least one non-empty network name (the proxy's way out)");
        }

        if (StopTimeout < TimeSpan.Zero || StopTimeout > TimeSpan.FromHours(1))
        {
            errors.Add("StopTimeout: must be between 0 and 1 hour");
        }

        if (ReadyTimeout <= TimeSpan.Zero)
        {
            errors.Add("ReadyTimeout: must be positive");
        }

        foreach (var (key, value) in ExtraLabels ?? new Dictionary<string, string>())
        {
            if (string.IsNullOrWhiteSpace(key) || key.Contains('=', StringComparison.Ordinal) || key.StartsWith("paude.io/", StringComparison.Ordinal) || key == "app")
            {
                errors.Add($"ExtraLabels: '{key}' is not allowed (empty, contains '=', or is reserved by Paude)");
            }
            else if (value is null || value.Contains('\n', StringComparison.Ordinal))
            {
                errors.Add($"ExtraLabels: the value of '{key}' must be a single line");
            }
        }

        return errors;
    }
}
