namespace Paude.Sessions;

/// <summary>
/// A Kubernetes toleration of the session's pods (<c>spec.tolerations</c>): lets them run on nodes tainted with
/// <see cref="Key"/> (e.g. a GPU or dedicated node pool). Kubernetes only; the Podman backend refuses it.
/// </summary>
/// <param name="Key">The taint key; <c>null</c> with <see cref="Operator"/> <c>Exists</c> tolerates every taint.</param>
/// <param name="Operator"><c>Equal</c> (the key's value must be <see cref="Value"/>) or <c>Exists</c> (any value).</param>
/// <param name="Value">The taint value for <c>Equal</c>; must be <c>null</c> for <c>Exists</c>.</param>
/// <param name="Effect"><c>NoSchedule</c>, <c>PreferNoSchedule</c>, <c>NoExecute</c>, or <c>null</c> for every effect.</param>
public sealed record SessionToleration(string? Key, string Operator = "Equal", string? Value = null, string? Effect = null)
{
    /// <summary>
    /// How long a pod stays on a node after a matching <c>NoExecute</c> taint appears (seconds); <c>null</c>: forever.
    /// Only with <see cref="Effect"/> <c>NoExecute</c>.
    /// </summary>
    public long? TolerationSeconds { get; init; }

    /// <summary>Every problem with this toleration (empty when valid), prefixed with <c>Tolerations[index]</c>.</summary>
    /// <param name="index">The toleration's position in <see cref="SessionSpec.Tolerations"/>, for the messages.</param>
    /// <returns>The problems.</returns>
    public IReadOnlyList<string> GetErrors(int index)
    {
        var at = $"Tolerations[{index}]";
        var errors = new List<string>();
        if (Operator is not ("Equal" or "Exists"))
        {
            errors.Add($"{at}: operator '{Operator}' is not Equal or Exists");
        }

        if (Key is null)
        {
            if (Operator != "Exists")
            {
                errors.Add($"{at}: a toleration without a key must use the Exists operator");
            }
        }
        else if (!KubernetesNames.IsQualifiedName(Key))
        {
            errors.Add($"{at}: key '{Key}' is not a Kubernetes qualified name (e.g. nvidia.com/gpu)");
        }

        if (Operator == "Exists" && Value is not null)
        {
            errors.Add($"{at}: a value is not allowed with the Exists operator");
        }
        else if (Value is not null && !KubernetesNames.IsLabelValue(Value))
        {
            errors.Add($"{at}: value '{Value}' is not a Kubernetes label value");
        }

        if (Effect is not (null or "NoSchedule" or "PreferNoSchedule" or "NoExecute"))
        {
            errors.Add($"{at}: effect '{Effect}' is not NoSchedule, PreferNoSchedule or NoExecute");
        }

        if (TolerationSeconds is not null && Effect != "NoExecute")
        {
            errors.Add($"{at}: TolerationSeconds applies only to the NoExecute effect");
        }

        return errors;
    }
}
