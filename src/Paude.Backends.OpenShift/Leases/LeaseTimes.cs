using k8s.Models;

namespace Paude.Backends.OpenShift.Leases;

/// <summary>When a Lease expires, and the spec a holder writes.</summary>
internal static class LeaseTimes
{
    /// <summary>
    /// The Lease's last renewal (else its acquisition) plus its duration; a Lease without either, or without a holder,
    /// is free (<see cref="DateTimeOffset.MinValue"/>). Compared with this host's clock: hosts whose clocks disagree by
    /// more than a few seconds shift that moment by the difference.
    /// </summary>
    public static DateTimeOffset ExpiresAt(V1Lease lease)
    {
        var spec = lease.Spec;
        if (spec is null || string.IsNullOrEmpty(spec.HolderIdentity) || (spec.RenewTime ?? spec.AcquireTime) is not { } renewed)
        {
            return DateTimeOffset.MinValue;
        }

        var utc = renewed.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(renewed, DateTimeKind.Utc) : renewed.ToUniversalTime();
        return new DateTimeOffset(utc).AddSeconds(spec.LeaseDurationSeconds ?? 0);
    }

    /// <summary>The spec of <paramref name="holder"/> taking <paramref name="previous"/> (or a new Lease) at <paramref name="now"/>.</summary>
    public static V1LeaseSpec Taken(V1Lease? previous, string holder, TimeSpan duration, DateTimeOffset now)
    {
        var transitions = previous?.Spec?.LeaseTransitions ?? 0;
        if (previous?.Spec?.HolderIdentity is { Length: > 0 } before && before != holder)
        {
            transitions++;
        }

        return new V1LeaseSpec
        {
            HolderIdentity = holder,
            LeaseDurationSeconds = (int)duration.TotalSeconds,
            AcquireTime = now.UtcDateTime,
            RenewTime = now.UtcDateTime,
            LeaseTransitions = transitions,
        };
    }

    /// <summary>The spec of <paramref name="held"/> renewed at <paramref name="now"/>.</summary>
    public static V1LeaseSpec Renewed(V1Lease held, DateTimeOffset now) => new()
    {
        HolderIdentity = held.Spec.HolderIdentity,
        LeaseDurationSeconds = held.Spec.LeaseDurationSeconds,
        AcquireTime = held.Spec.AcquireTime,
        RenewTime = now.UtcDateTime,
        LeaseTransitions = held.Spec.LeaseTransitions,
    };
}
