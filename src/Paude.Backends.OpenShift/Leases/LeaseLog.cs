using Microsoft.Extensions.Logging;

namespace Paude.Backends.OpenShift.Leases;

/// <summary>Log messages of the session sync Lease (event ids 6060-6069). Holder identities are host/pid/random, no secret.</summary>
internal static partial class LeaseLog
{
    [LoggerMessage(6060, LogLevel.Debug, "Took {Lease} as {Holder} for {Purpose}")]
    public static partial void Taken(ILogger logger, string lease, string holder, string purpose);

    [LoggerMessage(6061, LogLevel.Information, "{Lease} is held by {Holder} until {ExpiresAt:u}; waiting")]
    public static partial void Waiting(ILogger logger, string lease, string holder, DateTimeOffset expiresAt);

    [LoggerMessage(6062, LogLevel.Warning, "Renewing {Lease} failed; trying again in {Period}")]
    public static partial void RenewFailed(ILogger logger, Exception exception, string lease, TimeSpan period);

    [LoggerMessage(6063, LogLevel.Warning, "{Lease} was lost ({Reason}): an upgrade elsewhere no longer waits for this sync")]
    public static partial void Lost(ILogger logger, string lease, string reason);

    [LoggerMessage(6064, LogLevel.Warning, "Releasing {Lease} failed; it expires on its own")]
    public static partial void ReleaseFailed(ILogger logger, Exception exception, string lease);

    [LoggerMessage(6065, LogLevel.Warning, "{Lease} may not be used (403: grant get/list/create/update/delete on leases.coordination.k8s.io); only this machine's lock guards, syncs and upgrades from other machines are not seen")]
    public static partial void Forbidden(ILogger logger, string lease);
}
