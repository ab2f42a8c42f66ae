using System.Globalization;
using System.Text.Json.Nodes;
using k8s;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Paude.Testing.Kubernetes.Admission;
using Paude.Testing.Kubernetes.Api;
using Paude.Testing.Kubernetes.Builds;
using Paude.Testing.Kubernetes.Controllers;
using Paude.Testing.Kubernetes.Registry;
using Paude.Testing.Kubernetes.Runtime;
using Paude.Testing.Kubernetes.Spdy;
using Paude.Testing.Kubernetes.Store;

namespace Paude.Testing.Kubernetes;

/// <summary>
/// An in-process Kubernetes API server for tests whose pods are real Podman containers. It speaks the real wire
/// protocol (HTTP, watch streams, exec over WebSocket) to KubernetesClient and to <c>kubectl</c>, keeps apiserver
/// semantics for the resources it serves, and runs StatefulSet/Deployment controllers and a kubelet-like runtime.
/// <para>
/// This is <b>test infrastructure, not a conformant cluster</b>: no scheduler, no RBAC, no server-side apply, no
/// OpenAPI; NetworkPolicies are stored and served but <b>not enforced</b>; readiness and startup probes run, liveness
/// probes do not; Service names resolve to the selected pods through Podman network aliases (no cluster IPs); the
/// private registry option serves a real OCI registry (<see cref="RegistryAddress"/>).
/// </para>
/// </summary>
public sealed class KubernetesTestServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ServerResources _resources;
    private readonly ObjectStore _store;
    private readonly CancellationTokenSource _stopping;
    private readonly BinaryBuilds _builds;
    private readonly List<Task> _loops = [];
    private OciRegistry? _registry;
    private RegistryPulls? _pulls;
    private int _disposed;

    private KubernetesTestServer(WebApplication app, ServerResources resources, ObjectStore store, KubernetesFaults faults, Uri baseAddress, CancellationTokenSource stopping, BinaryBuilds builds)
    {
        _stopping = stopping;
        _builds = builds;
        _app = app;
        _resources = resources;
        _store = store;
        Faults = faults;
        BaseAddress = baseAddress;
        KubeconfigPath = Path.Combine(resources.Root, "kubeconfig");
    }

    /// <summary>Where the API listens: <c>http://127.0.0.1:&lt;port&gt;/</c>.</summary>
    public Uri BaseAddress { get; }

    /// <summary>A kubeconfig for this server (context <c>paude-test</c>, namespace <c>default</c>), written at start.</summary>
    public string KubeconfigPath { get; }

    /// <summary>The id in every Podman resource name (<c>kt-&lt;id&gt;-...</c>) and in the label <c>paude.kubetest=&lt;id&gt;</c>.</summary>
    public string ServerId => _resources.ServerId;

    /// <summary>The Podman network all pods join.</summary>
    public string PodNetwork => _resources.Network;

    /// <summary>
    /// Where the private registry (<see cref="KubernetesTestServerOptions.PrivateRegistry"/>) is served over HTTP,
    /// <c>127.0.0.1:&lt;port&gt;</c>, or <see langword="null"/> without one: push to it with its login and
    /// <c>--tls-verify=false</c>; a pod image <c>&lt;address&gt;/repo:tag</c> (or <c>@sha256:…</c>) is pulled from it
    /// with the pod's pull secrets (<c>auths</c> keyed by this address).
    /// </summary>
    public string? RegistryAddress => _registry?.Address;

    /// <summary>Fault injection for the API (429/5xx, dropped connections, latency, watches ended early).</summary>
    public KubernetesFaults Faults { get; }

    /// <summary>Starts a server on 127.0.0.1 with a random port.</summary>
    /// <param name="options">Options; <see langword="null"/> for the defaults.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The running server; dispose it to remove everything it made.</returns>
    public static async Task<KubernetesTestServer> StartAsync(KubernetesTestServerOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new KubernetesTestServerOptions();
        options.Validate();
        var podman = new PodmanCli(options.PodmanPath);
        var resources = new ServerResources(ServerResources.NewServerId(), podman, options.ResourceLabels);
        var store = new ObjectStore(options.TimeProvider);
        var faults = new KubernetesFaults(options.FaultSeed);
        var stopping = new CancellationTokenSource();
        if (options.OpenShiftRestricted)
        {
            store.Admission = new RestrictedV2(store).Admit;
        }

        store.DeferDeletion = (type, _) => type == ResourceTypes.Pods;
        var events = new EventRecorder(store, options.TimeProvider);
        var podIo = new PodIo(resources, podman)
        {
            SpdyOptions = new SpdyConnectionOptions { IdleTimeout = options.PortForwardIdleTimeout, TimeProvider = options.TimeProvider },
            StreamIdleTimeout = options.StreamIdleTimeout,
        };
        var builds = new BinaryBuilds(store, new BuildRunner(store, resources, podman, options.TimeProvider, stopping.Token), resources.Root);
        var handler = new ApiHandler(store, faults, podIo, builds);

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(1));
        builder.WebHost.UseKestrel(k =>
        {
            k.Listen(System.Net.IPAddress.Loopback, 0);

            // kube-apiserver takes up to 1 MiB of request line + headers (Go's MaxHeaderBytes); Kestrel's 8 KiB line limit
            // would refuse exec URLs a real API server accepts (a command vector travels as query parameters).
            k.Limits.MaxRequestLineSize = 1024 * 1024;
            k.Limits.MaxRequestHeadersTotalSize = 1024 * 1024;
            k.Limits.MaxRequestBufferSize = 2 * 1024 * 1024;
        });
        var app = builder.Build();
        app.UseWebSockets();
        app.Run(handler.HandleAsync);

        OciRegistry? registry = null;
        try
        {
            await resources.CreateNetworkAsync(cancellationToken).ConfigureAwait(false);
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
            var address = new Uri(app.Urls.First().Replace("[::]", "127.0.0.1", StringComparison.Ordinal) + "/");
            var server = new KubernetesTestServer(app, resources, store, faults, address, stopping, builds);
            foreach (var ns in options.Namespaces.Distinct())
            {
                server.CreateNamespace(ns);
            }

            server.WriteKubeconfig(server.KubeconfigPath);
            if (options.PrivateRegistry is { } login)
            {
                registry = await OciRegistry.StartAsync(login, Path.Combine(resources.Root, "registry"), cancellationToken).ConfigureAwait(false);
                server._registry = registry;
                server._pulls = new RegistryPulls(registry.Address, store, podman, resources.Root);
            }

            var runtime = new PodRuntime(store, resources, podman, new PodLaunch(store, resources, podman, options.TimeProvider, options.PodPidsLimit, options.PrivateRegistry), events, options, server._pulls);
            var controller = new WorkloadController(store, events, TimeSpan.FromSeconds(2));
            server._loops.Add(Task.Run(() => runtime.RunAsync(server._stopping.Token), CancellationToken.None));
            server._loops.Add(Task.Run(() => controller.RunAsync(server._stopping.Token), CancellationToken.None));
            return server;
        }
        catch
        {
            if (registry is not null)
            {
                await registry.DisposeAsync().ConfigureAwait(false);
            }

            await stopping.CancelAsync().ConfigureAwait(false);
            await builds.DrainAsync().ConfigureAwait(false);
            stopping.Dispose();
            await app.DisposeAsync().ConfigureAwait(false);
            await resources.RemoveAllAsync(CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Creates a namespace directly in the store (restricted mode gives it a UID range).</summary>
    /// <param name="name">The namespace name.</param>
    public void CreateNamespace(string name) =>
        _store.Create(ResourceTypes.Namespaces, null, new JsonObject { ["metadata"] = new JsonObject { ["name"] = name } });

    /// <summary>Writes a kubeconfig pointing at this server.</summary>
    /// <param name="path">The file to write.</param>
    /// <param name="namespace">The context's namespace.</param>
    public void WriteKubeconfig(string path, string @namespace = "default")
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var server = BaseAddress.ToString().TrimEnd('/');
        var text = string.Create(CultureInfo.InvariantCulture, $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: paude-test
              cluster:
                server: {server}
            users:
            - name: paude-test
              user:
                token: paude-test-token
            contexts:
            - name: paude-test
              context:
                cluster: paude-test
                user: paude-test
                namespace: {@namespace}
            current-context: paude-test
            """);
        File.WriteAllText(path, text + "\n");
    }

    /// <summary>A KubernetesClient for this server.</summary>
    /// <param name="namespace">The default namespace of the client configuration.</param>
    /// <returns>A new client; the caller disposes it.</returns>
    public IKubernetes CreateClient(string @namespace = "default")
    {
        var config = new KubernetesClientConfiguration { Host = BaseAddress.ToString().TrimEnd('/'), Namespace = @namespace, AccessToken = "paude-test-token" };
        return new k8s.Kubernetes(config);
    }

    /// <summary>Stops the server and removes every Podman container, volume and network labelled with its id.</summary>
    /// <returns>A task that completes when everything is gone.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        _store.Complete();
        await Task.WhenAll(_loops).ConfigureAwait(false);
        await _builds.DrainAsync().ConfigureAwait(false);
        try
        {
            await _app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            await _app.DisposeAsync().ConfigureAwait(false);
            if (_registry is not null)
            {
                await _registry.DisposeAsync().ConfigureAwait(false);
            }

            await _resources.RemoveAllAsync(CancellationToken.None).ConfigureAwait(false);
            if (_pulls is not null)
            {
                await _pulls.RemoveImagesAsync(CancellationToken.None).ConfigureAwait(false);
            }

            _stopping.Dispose();
        }
    }
}
