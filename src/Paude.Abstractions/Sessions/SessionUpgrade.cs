using Paude.Errors;

namespace Paude.Sessions;

/// <summary>
/// What <see cref="ISessionBackend.UpgradeAsync"/> changes: each property left <c>null</c> keeps the session's current
/// value. An upgrade with nothing set still re-creates the containers/pods (on the same image references, e.g. a
/// rebuilt <c>:latest</c>). The workspace, the agent's state, the delivered credentials (re-delivered) and the sync
/// records always stay.
/// </summary>
public sealed record SessionUpgrade
{
    /// <summary>The new agent image; <c>null</c> keeps the current one.</summary>
    public string? AgentImage { get; init; }

    /// <summary>The new egress proxy image; <c>null</c> keeps the current one.</summary>
    public string? ProxyImage { get; init; }

    /// <summary>The agent's new limits; <c>null</c> keeps the current ones.</summary>
    public SessionLimits? Limits { get; init; }

    /// <summary>Every problem with the upgrade, all at once (empty when it is valid).</summary>
    public IReadOnlyList<string> GetErrors()
    {
        var errors = new List<string>();
        if (AgentImage is not null && !IsImageReference(AgentImage))
        {
            errors.Add("AgentImage: must not be blank or contain whitespace or control characters");
        }

        if (ProxyImage is not null && !IsImageReference(ProxyImage))
        {
            errors.Add("ProxyImage: must not be blank or contain whitespace or control characters");
        }

        if (Limits is not null)
        {
            errors.AddRange(Limits.GetErrors());
        }

        return errors;
    }

    /// <summary>Throws <see cref="InvalidOptionsException"/> listing every problem when the upgrade is invalid.</summary>
    public void Validate()
    {
        var errors = GetErrors();
        if (errors.Count > 0)
        {
            throw new InvalidOptionsException("Invalid session upgrade", errors);
        }
    }

    private static bool IsImageReference(string image) =>
        !string.IsNullOrWhiteSpace(image) && !image.Any(c => char.IsWhiteSpace(c) || char.IsControl(c));
}
