using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Paude.Testing.Kubernetes.Store;

namespace Paude.Testing.Kubernetes.Runtime;

/// <summary>
/// The kubelet's readiness prober: one worker per running container (by container id, so a restart starts over
/// unready) that runs the container's <c>readinessProbe</c> (exec, tcpSocket, httpGet) every <c>periodSeconds</c>
/// after <c>initialDelaySeconds</c>, applies <c>successThreshold</c>/<c>failureThreshold</c>, records
/// <c>Unhealthy</c> events on failures and wakes the runtime when readiness flips. Containers without a probe are
/// ready when running, as in Kubernetes. A <c>startupProbe</c> runs first, until its first success (then never
/// again, as the kubelet's startup prober): until then the container is not ready and the readiness probe does not
/// run; a container with only a startup probe is ready from that success on. (The kubelet also restarts a container
/// whose startup probe reaches <c>failureThreshold</c>; this server only records the failures.)
/// </summary>
internal sealed class ReadinessProbes(PodmanCli podman, EventRecorder events, Action changed) : IDisposable
{
    private static readonly HttpClient Http = new(new SocketsHttpHandler
    {
        // Like the kubelet: HTTPS probes do not verify the certificate (pods serve self-signed ones).
#pragma warning disable CA5359
        SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true },
#pragma warning restore CA5359
        AllowAutoRedirect = true,
    });

    /// <summary>What an exec probe may take beyond its <c>timeoutSeconds</c>: <c>podman exec</c>'s own start.</summary>
    private static readonly TimeSpan ExecStartAllowance = TimeSpan.FromSeconds(10);

    private readonly ConcurrentDictionary<string, Worker> _workers = new(StringComparer.Ordinal);

    public static bool HasProbe(JsonObject container) => container["readinessProbe"] is JsonObject || container["startupProbe"] is JsonObject;

    /// <summary>True when the container has no probe, or its probe worker reports ready.</summary>
    public bool IsReady(JsonObject container, string? containerId) =>
        !HasProbe(container) || (containerId is not null && _workers.TryGetValue(containerId, out var w) && w.Ready);

    /// <summary>Starts the worker of a running container with a probe (once per container id).</summary>
    public void Ensure(JsonObject pod, JsonObject container, string containerId, string podmanName, string? podIp, CancellationToken serverStopping)
    {
        if (!HasProbe(container) || _workers.ContainsKey(containerId))
        {
            return;
        }

        var worker = new Worker(CancellationTokenSource.CreateLinkedTokenSource(serverStopping));
        if (_workers.TryAdd(containerId, worker))
        {
            worker.Loop = Task.Run(() => RunAsync(pod, container, podmanName, podIp, worker), CancellationToken.None);
        }
    }

    /// <summary>Stops the workers of containers that are no longer running.</summary>
    public void Retain(ISet<string> runningContainerIds)
    {
        foreach (var (id, worker) in _workers)
        {
            if (!runningContainerIds.Contains(id) && _workers.TryRemove(id, out _))
            {
                worker.Stop();
            }
        }
    }

    public void Dispose()
    {
        foreach (var id in _workers.Keys)
        {
            if (_workers.TryRemove(id, out var worker))
            {
                worker.Stop();
            }
        }
    }

    private async Task RunAsync(JsonObject pod, JsonObject container, string podmanName, string? podIp, Worker worker)
    {
        var ct = worker.Stopping.Token;
        try
        {
            if (container["startupProbe"] is JsonObject startup)
            {
                await RunStartupAsync(startup, pod, container, podmanName, podIp, ct).ConfigureAwait(false);
                if (container["readinessProbe"] is not JsonObject)
                {
                    worker.Ready = true;
                    changed();
                    return;
                }
            }

            await RunReadinessAsync(container.Obj("readinessProbe"), pod, container, podmanName, podIp, worker, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Container stopped or server stopping.
        }
    }

    /// <summary>Probes until the first success (a startup probe's success threshold is always 1), then returns for good.</summary>
    private async Task RunStartupAsync(JsonObject probe, JsonObject pod, JsonObject container, string podmanName, string? podIp, CancellationToken ct)
    {
        var period = TimeSpan.FromSeconds(Math.Max(1, probe.Int("periodSeconds", 10)));
        var timeout = TimeSpan.FromSeconds(Math.Max(1, probe.Int("timeoutSeconds", 1)));
        await Task.Delay(TimeSpan.FromSeconds(Math.Max(0, probe.Int("initialDelaySeconds", 0))), ct).ConfigureAwait(false);
        while (true)
        {
            var failure = await ProbeOnceAsync(probe, container, podmanName, podIp, timeout, ct).ConfigureAwait(false);
            if (failure is null)
            {
                return;
            }

            events.Record(pod, "Warning", "Unhealthy", "Startup probe failed: " + failure);
            await Task.Delay(period, ct).ConfigureAwait(false);
        }
    }

    private async Task RunReadinessAsync(JsonObject probe, JsonObject pod, JsonObject container, string podmanName, string? podIp, Worker worker, CancellationToken ct)
    {
        var period = TimeSpan.FromSeconds(Math.Max(1, probe.Int("periodSeconds", 10)));
        var timeout = TimeSpan.FromSeconds(Math.Max(1, probe.Int("timeoutSeconds", 1)));
        var successThreshold = Math.Max(1, probe.Int("successThreshold", 1));
        var failureThreshold = Math.Max(1, probe.Int("failureThreshold", 3));
        int successes = 0, failures = 0;
        await Task.Delay(TimeSpan.FromSeconds(Math.Max(0, probe.Int("initialDelaySeconds", 0))), ct).ConfigureAwait(false);
        while (!ct.IsCancellationRequested)
        {
            var failure = await ProbeOnceAsync(probe, container, podmanName, podIp, timeout, ct).ConfigureAwait(false);
            var wasReady = worker.Ready;
            if (failure is null)
            {
                failures = 0;
                worker.Ready |= ++successes >= successThreshold;
            }
            else
            {
                successes = 0;
                worker.Ready &= ++failures < failureThreshold;
                events.Record(pod, "Warning", "Unhealthy", "Readiness probe failed: " + failure);
            }

            if (wasReady != worker.Ready)
            {
                changed();
            }

            await Task.Delay(period, ct).ConfigureAwait(false);
        }
    }

    /// <summary>Runs the probe once; null on success, else the kubelet-style failure text.</summary>
    private async Task<string?> ProbeOnceAsync(JsonObject probe, JsonObject container, string podmanName, string? podIp, TimeSpan timeout, CancellationToken ct)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);

        // An exec probe here is a whole `podman exec` (its own start, a second or more on a loaded machine), where a
        // kubelet's CRI ExecSync costs milliseconds: the probe's timeout is for the command, so podman's start gets an
        // allowance on top. Without it a default 1 s probe never passed at load 40 (a CI run's pod stayed unready).
        limit.CancelAfter(probe["exec"] is null ? timeout : timeout + ExecStartAllowance);
        try
        {
            if (probe["exec"] is JsonObject exec)
            {
                var (code, stdout, stderr) = await podman.RunAsync(["exec", podmanName, .. PodLaunch.Strings(exec["command"])], limit.Token).ConfigureAwait(false);
                return code == 0 ? null : (stdout + stderr).Trim();
            }

            var host = podIp ?? "127.0.0.1";
            if (probe["tcpSocket"] is JsonObject tcp)
            {
                host = tcp.Str("host") ?? host;
                var port = Port(tcp["port"], container);
                try
                {
                    using var client = new TcpClient();
                    await client.ConnectAsync(host, port, limit.Token).ConfigureAwait(false);
                    return null;
                }
                catch (SocketException)
                {
                    return $"dial tcp {host}:{port}: connect: connection refused";
                }
            }

            if (probe["httpGet"] is JsonObject get)
            {
                host = get.Str("host") ?? host;
                var port = Port(get["port"], container);
                var scheme = (get.Str("scheme") ?? "HTTP").ToLowerInvariant();
                var url = new Uri(string.Create(CultureInfo.InvariantCulture, $"{scheme}://{host}:{port}/{(get.Str("path") ?? "/").TrimStart('/')}"));
                using var request = new HttpRequestMessage(HttpMethod.Get, url);
                request.Headers.UserAgent.ParseAdd("kube-probe/1.31");
                foreach (var h in get["httpHeaders"].Objects())
                {
                    request.Headers.TryAddWithoutValidation(h.Str("name") ?? "", h.Str("value") ?? "");
                }

                try
                {
                    using var response = await Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, limit.Token).ConfigureAwait(false);
                    var code = (int)response.StatusCode;
                    return code is >= 200 and < 400 ? null : $"HTTP probe failed with statuscode: {code}";
                }
                catch (HttpRequestException)
                {
                    return $"Get \"{url}\": dial tcp {host}:{port}: connect: connection refused";
                }
            }

            return "the Kubernetes test server supports exec, tcpSocket and httpGet readiness probes only";
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return $"command timed out after {timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)}s";
        }
    }

    /// <summary>A number, or the name of one of the container's ports.</summary>
    private static int Port(JsonNode? port, JsonObject container)
    {
        if (port is JsonValue v && v.TryGetValue<int>(out var number))
        {
            return number;
        }

        var name = port is JsonValue s && s.TryGetValue<string>(out var text) ? text : null;
        return int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out number)
            ? number
            : container["ports"].Objects().FirstOrDefault(p => p.Str("name") == name)?.Int("containerPort", 0) ?? 0;
    }

    private sealed class Worker(CancellationTokenSource stopping)
    {
        public CancellationTokenSource Stopping { get; } = stopping;

        public Task? Loop { get; set; }

        private volatile bool _ready;

        public bool Ready
        {
            get => _ready;
            set => _ready = value;
        }

        public void Stop()
        {
            Stopping.Cancel();
            _ = Loop?.ContinueWith(_ => Stopping.Dispose(), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
        }
    }
}
