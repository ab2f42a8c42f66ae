using System.Text.Json;
using Paude.Sessions;

namespace Paude.Backends.Podman.Backend;

/// <summary>One container as reported by <c>podman ps -a --format json</c>.</summary>
internal sealed record ContainerEntry(string Name, string State, int ExitCode, IReadOnlyDictionary<string, string> Labels)
{
    public string? Session => Labels.TryGetValue(SessionLabelKeys.SessionName, out var s) ? s : null;

    public string? Role => Labels.TryGetValue(SessionLabelKeys.Role, out var r) ? r : null;

    public bool IsRunning => State == "running";
}

/// <summary>Parses podman's JSON listings and derives session status from them.</summary>
internal static class PodmanState
{
    /// <summary>Parses <c>podman ps -a --format json</c>.</summary>
    public static List<ContainerEntry> ParseContainers(string json)
    {
        var result = new List<ContainerEntry>();
        if (string.IsNullOrWhiteSpace(json))
        {
            return result;
        }

        using var doc = JsonDocument.Parse(json);
        foreach (var item in doc.RootElement.EnumerateArray())
        {
            var name = item.TryGetProperty("Names", out var names) && names.ValueKind == JsonValueKind.Array && names.GetArrayLength() > 0
                ? names[0].GetString() ?? string.Empty
                : string.Empty;
            var state = item.TryGetProperty("State", out var s) ? s.GetString() ?? string.Empty : string.Empty;
            var exit = item.TryGetProperty("ExitCode", out var e) && e.TryGetInt32(out var code) ? code : 0;
            result.Add(new ContainerEntry(name, state, exit, ReadLabels(item)));
        }

        return result;
    }

    /// <summary>Parses the names out of <c>podman volume ls</c> / <c>podman network ls</c> JSON (<c>Name</c> or <c>name</c>).</summary>
    public static List<(string Name, IReadOnlyDictionary<string, string> Labels)> ParseNamed(string json)
    {
        var result = new List<(string, IReadOnlyDictionary<string, string>)>();
        if (string.IsNullOrWhiteSpace(json))
        {
            return result;
        }

        using var doc = JsonDocument.Parse(json);
        foreach (var item in doc.RootElement.EnumerateArray())
        {
            var name = item.TryGetProperty("Name", out var n) ? n.GetString() : item.TryGetProperty("name", out var n2) ? n2.GetString() : null;
            if (!string.IsNullOrEmpty(name))
            {
                result.Add((name, ReadLabels(item)));
            }
        }

        return result;
    }

    /// <summary>
    /// Derives the status of a session from its agent and proxy containers. <paramref name="canRecreate"/> says whether
    /// the workspace volume (with the session config in its labels) is there, so a missing agent can be re-created.
    /// </summary>
    public static (SessionStatus Status, string? Reason) Derive(ContainerEntry? agent, ContainerEntry? proxy, bool canRecreate = false)
    {
        if (agent is null)
        {
            // Containers removed behind our back (e.g. `podman rm`, a reset engine) while the workspace volume stayed.
            return canRecreate
                ? (SessionStatus.Degraded, "the agent container is missing but the workspace volume remains; start the session to re-create its containers, or delete it")
                : (SessionStatus.Error, "the agent container and the workspace volume are missing; delete the session to remove what is left");
        }

        return SessionStatusRules.Combine(AgentStatus(agent), () => proxy switch
        {
            null => "the proxy container is missing; start the session to repair it",
            { IsRunning: true } => null,
            _ => $"the proxy container is {proxy.State}; start the session to repair it",
        });
    }

    private static (SessionStatus Status, string? Reason) AgentStatus(ContainerEntry agent) => agent.State switch
    {
        "running" => (SessionStatus.Running, null),
        "created" or "configured" or "initialized" => (SessionStatus.Pending, $"the agent container is {agent.State}"),

        // 0 = clean exit; 130/137/143 = ended by a signal from stop (SIGINT/SIGKILL/SIGTERM through the init).
        "exited" or "stopped" or "stopping" => agent.ExitCode is 0 or 130 or 137 or 143
            ? (SessionStatus.Stopped, null)
            : (SessionStatus.Error, $"the agent container exited with code {agent.ExitCode}"),
        _ => (SessionStatus.Error, $"the agent container is {agent.State}"),
    };

    private static Dictionary<string, string> ReadLabels(JsonElement item)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if ((item.TryGetProperty("Labels", out var l) || item.TryGetProperty("labels", out l)) && l.ValueKind == JsonValueKind.Object)
        {
            foreach (var p in l.EnumerateObject())
            {
                labels[p.Name] = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() ?? string.Empty : p.Value.ToString();
            }
        }

        return labels;
    }
}
