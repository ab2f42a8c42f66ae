namespace Paude.Testing.Kubernetes;

/// <summary>What a matching <see cref="FaultRule"/> does to a request.</summary>
public enum FaultAction
{
    /// <summary>Answer with <see cref="FaultRule.StatusCode"/> and a <c>Status</c> body (429 carries <c>Retry-After</c>).</summary>
    Status,

    /// <summary>Abort the TCP connection without an answer.</summary>
    DropConnection,

    /// <summary>Delay the request by <see cref="FaultRule.Latency"/>, then serve it normally.</summary>
    Latency,

    /// <summary>Serve a watch, but end the stream after <see cref="FaultRule.WatchDuration"/> (a silent end, like a load balancer cutting it).</summary>
    EndWatch,
}

/// <summary>
/// One fault-injection rule. It matches by verb (<c>get</c>, <c>list</c>, <c>watch</c>, <c>create</c>, <c>update</c>,
/// <c>patch</c>, <c>delete</c>, <c>deletecollection</c>) and resource (<c>pods</c>, <c>statefulsets</c>, <c>pods/exec</c>, ...);
/// <see langword="null"/> matches anything. It fires with <see cref="Probability"/> (drawn from the server's seeded
/// random source) and at most <see cref="Count"/> times.
/// </summary>
public sealed record FaultRule
{
    /// <summary>The verb to match, or <see langword="null"/> for every verb.</summary>
    public string? Verb { get; init; }

    /// <summary>The resource (plural, optionally <c>/subresource</c>) to match, or <see langword="null"/> for every resource.</summary>
    public string? Resource { get; init; }

    /// <summary>What to do.</summary>
    public FaultAction Action { get; init; } = FaultAction.Status;

    /// <summary>HTTP status for <see cref="FaultAction.Status"/>: 429, 500, 503, 504...</summary>
    public int StatusCode { get; init; } = 500;

    /// <summary>Value of the <c>Retry-After</c> header (and <c>details.retryAfterSeconds</c>) on a 429/503.</summary>
    public TimeSpan RetryAfter { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Added delay for <see cref="FaultAction.Latency"/>.</summary>
    public TimeSpan Latency { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>How long a watch lives under <see cref="FaultAction.EndWatch"/>.</summary>
    public TimeSpan WatchDuration { get; init; } = TimeSpan.Zero;

    /// <summary>Chance to fire, 0..1.</summary>
    public double Probability { get; init; } = 1.0;

    /// <summary>Fire at most this many times; <see langword="null"/> = unlimited.</summary>
    public int? Count { get; init; }
}
