using Paude.Testing.Kubernetes;

namespace Paude.TestServer;

/// <summary>Runs one test server for a person until stopped, printing how to reach it.</summary>
internal static class TestServerHost
{
    /// <summary>Starts the server, prints its kubeconfig and namespace, waits for <paramref name="stop"/>, removes everything.</summary>
    /// <returns>The process exit code: 0 after a clean stop, 1 when the server could not start.</returns>
    public static async Task<int> RunAsync(TestServerArguments args, TextWriter stdout, TextWriter stderr, CancellationToken stop)
    {
        KubernetesTestServer server;
        var registry = args.RegistryUser is { } user
            ? new TestRegistry("registry.paude-test-server.invalid", user, Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(12)))
            : null;
        try
        {
            server = await KubernetesTestServer.StartAsync(
                new KubernetesTestServerOptions
                {
                    Namespaces = ["default", args.Namespace],
                    OpenShiftRestricted = args.OpenShiftRestricted,
                    ResourceLabels = args.Labels,
                    PrivateRegistry = registry,
                },
                stop).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return 0;
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or System.ComponentModel.Win32Exception)
        {
            await stderr.WriteLineAsync($"error: the test server could not start (is Podman installed and working?): {e.Message}").ConfigureAwait(false);
            return 1;
        }

        await using (server.ConfigureAwait(false))
        {
            // The kubeconfig lives in the server's own temporary folder, so disposal removes it with the rest.
            server.WriteKubeconfig(server.KubeconfigPath, args.Namespace);
            if (registry is not null)
            {
                await stdout.WriteLineAsync($"""
                    registry: {server.RegistryAddress} (plain HTTP; user {registry.Username}, password {registry.Password})
                      printf '%s' '{registry.Password}' | paude image push --to {server.RegistryAddress}/team/paude-agent:v1 -u {registry.Username} --password-stdin --tls-verify=false
                      printf '%s' '{registry.Password}' | paude --backend openshift --kubeconfig {server.KubeconfigPath} --namespace {args.Namespace} image pull-secret create regcred --server {server.RegistryAddress} -u {registry.Username} --password-stdin
                      paude --backend openshift --kubeconfig {server.KubeconfigPath} --namespace {args.Namespace} create my-task --workspace . --pull-secret regcred --image <the digest reference push printed>

                    """).ConfigureAwait(false);
            }

            await stdout.WriteLineAsync($"""
                Kubernetes test server running (pods are Podman containers labelled paude.kubetest={server.ServerId}).
                kubeconfig: {server.KubeconfigPath}
                namespace: {args.Namespace}
                server-id: {server.ServerId}

                Try:
                  export KUBECONFIG={server.KubeconfigPath}
                  kubectl get pods
                  paude --backend openshift --kubeconfig {server.KubeconfigPath} --namespace {args.Namespace} create my-task --workspace .

                Press Ctrl+C to stop; everything it started is removed.
                """).ConfigureAwait(false);
            await stdout.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            try
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // The signal asked for the stop; disposal below does the clean-up.
            }

            await stdout.WriteLineAsync("stopping: removing containers, volumes, network and files").ConfigureAwait(false);
        }

        await stdout.WriteLineAsync("stopped").ConfigureAwait(false);
        await stdout.FlushAsync(CancellationToken.None).ConfigureAwait(false);
        return 0;
    }
}
