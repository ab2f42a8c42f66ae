namespace Paude.Testing.Kubernetes;

/// <summary>Options of a <see cref="KubernetesTestServer"/>. Validated once by <see cref="KubernetesTestServer.StartAsync"/>.</summary>
public sealed record KubernetesTestServerOptions
{
    /// <summary>Namespaces that exist from the start (a real cluster always has <c>default</c>).</summary>
    public IReadOnlyList<string> Namespaces { get; init; } = ["default"];

    /// <summary>
    /// OpenShift <c>restricted-v2</c> admission: pods without a UID get one from their namespace's
    /// <c>openshift.io/sa.scc.uid-range</c> (allocated per namespace from 1000680000/10000) with GID 0; pods asking
    /// for root, privilege (escalation), added capabilities or host namespaces are rejected with 403 like OpenShift.
    /// </summary>
    public bool OpenShiftRestricted { get; init; }

    /// <summary>Labels put on every Podman container, volume and network the server makes (e.g. the test run id), in addition to its own.</summary>
    public IReadOnlyDictionary<string, string> ResourceLabels { get; init; } = new Dictionary<string, string>();

    /// <summary>Seed of the fault-injection random source, so a failing run can be replayed.</summary>
    public int FaultSeed { get; init; } = 12345;

    /// <summary>How often pod containers are inspected for phase/readiness changes.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(300);

    /// <summary>First back-off after a container exits (doubles per restart, capped at <see cref="MaxBackOff"/>); real kubelet: 10 s.</summary>
    public TimeSpan InitialBackOff { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Cap of the restart back-off; real kubelet: 5 min.</summary>
    public TimeSpan MaxBackOff { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The kubelet's <c>podPidsLimit</c>: the most processes/threads one pod's container may run (<c>--pids-limit</c>).
    /// Kubernetes has no per-pod field for it, only this node setting (OpenShift's default: 4096); 0 means no limit.
    /// </summary>
    public int PodPidsLimit { get; init; } = 4096;

    /// <summary>
    /// A private registry the server plays (pull secrets checked, images from the local store), or <see langword="null"/>
    /// for none. See <see cref="TestRegistry"/>.
    /// </summary>
    public TestRegistry? PrivateRegistry { get; init; }

    /// <summary>
    /// The labels of the server's one node (<c>paude-test-node</c>, which also has <c>kubernetes.io/hostname</c> and
    /// <c>kubernetes.io/os=linux</c>). <see langword="null"/> (the default): the node matches every <c>nodeSelector</c>
    /// (placement is stored, not enforced). Set: a pod whose selector it does not match stays Pending with
    /// <c>PodScheduled=False</c>, reason <c>Unschedulable</c>, and a <c>FailedScheduling</c> event, as a cluster with
    /// no fitting node leaves it; its containers are never created.
    /// </summary>
    public IReadOnlyDictionary<string, string>? NodeLabels { get; init; }

    /// <summary>
    /// Taints of the server's one node: a pod that does not tolerate each <c>NoSchedule</c>/<c>NoExecute</c> one stays
    /// Pending (Unschedulable), as with <see cref="NodeLabels"/>. Default: none.
    /// </summary>
    public IReadOnlyList<KubernetesNodeTaint> NodeTaints { get; init; } = [];

    /// <summary>
    /// The kubelet's <c>streamingConnectionIdleTimeout</c> (default 4 h) as this server applies it: a
    /// <c>kubectl port-forward</c> (SPDY) session with no frame either way for this long is closed with GOAWAY.
    /// kubectl pings every few seconds on its SPDY upgrade path (not through its WebSocket tunnel, whose quiet
    /// forwards therefore end), so there only a silent or vanished client meets it. <see cref="Timeout.InfiniteTimeSpan"/>: never.
    /// </summary>
    public TimeSpan PortForwardIdleTimeout { get; init; } = TimeSpan.FromHours(4);

    /// <summary>
    /// How long an exec or port-forward WebSocket may go without a sign of life from its client before the server
    /// ends it together with the command or relay behind it: the server pings every half of this and gives up when a
    /// ping goes unanswered for the other half. Live clients answer pings by themselves (KubernetesClient, kubectl),
    /// however quiet the stream; one that vanished without closing (killed, network gone) no longer holds a
    /// <c>podman exec</c> or a pod connection. A client that drops its connection without a close frame ends them at
    /// once. <see cref="Timeout.InfiniteTimeSpan"/>: pings without a deadline.
    /// </summary>
    public TimeSpan StreamIdleTimeout { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>The <c>podman</c> executable.</summary>
    public string PodmanPath { get; init; } = "podman";

    /// <summary>Clock used for timestamps.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    internal void Validate()
    {
        var errors = new List<string>();
        foreach (var ns in Namespaces)
        {
            if (string.IsNullOrWhiteSpace(ns) || ns.Length > 63 || !ns.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-'))
            {
                errors.Add($"Namespace '{ns}' is not a DNS-1123 label.");
            }
        }

        if (PollInterval <= TimeSpan.Zero)
        {
            errors.Add("PollInterval must be positive.");
        }

        if (InitialBackOff <= TimeSpan.Zero || MaxBackOff < InitialBackOff)
        {
            errors.Add("InitialBackOff must be positive and not above MaxBackOff.");
        }

        if (PortForwardIdleTimeout <= TimeSpan.Zero && PortForwardIdleTimeout != Timeout.InfiniteTimeSpan)
        {
            errors.Add("PortForwardIdleTimeout must be positive (or Timeout.InfiniteTimeSpan).");
        }

        if (StreamIdleTimeout <= TimeSpan.Zero && StreamIdleTimeout != Timeout.InfiniteTimeSpan)
        {
            errors.Add("StreamIdleTimeout must be positive (or Timeout.InfiniteTimeSpan).");
        }

        if (PodPidsLimit < 0)
        {
            errors.Add("PodPidsLimit must not be negative.");
        }

        foreach (var (k, v) in ResourceLabels)
        {
            if (string.IsNullOrWhiteSpace(k) || k.Contains('=', StringComparison.Ordinal) || v.Contains(',', StringComparison.Ordinal))
            {
                errors.Add($"Resource label '{k}={v}' is not usable as a Podman label.");
            }
        }

        foreach (var (k, v) in NodeLabels ?? new Dictionary<string, string>())
        {
            if (string.IsNullOrEmpty(k) || v is null)
            {
                errors.Add($"Node label '{k}={v}' needs a key and a value.");
            }
        }

        foreach (var taint in NodeTaints)
        {
            if (taint is null || string.IsNullOrEmpty(taint.Key) || taint.Effect is not ("NoSchedule" or "PreferNoSchedule" or "NoExecute"))
            {
                errors.Add($"Node taint '{taint}' needs a key and the effect NoSchedule, PreferNoSchedule or NoExecute.");
            }
        }

        if (errors.Count > 0)
        {
            throw new ArgumentException("Invalid KubernetesTestServerOptions: " + string.Join(" ", errors));
        }
    }
}
