using System.CommandLine;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Paude.Backends.OpenShift;
using Paude.Cli.Hosting;
using Paude.Cli.Output;

namespace Paude.Cli.Commands;

/// <summary>
/// <c>paude image pull-secret create NAME --server S --username U --password-stdin</c>: makes the image pull Secret
/// that <c>paude create --pull-secret NAME</c> names, from a registry login. The password is read from stdin only
/// (an argument would be in the process list and the shell history) and never printed.
/// </summary>
internal static class PullSecretCommand
{
    /// <summary>The most stdin is read for a password (a token is a few KiB at most).</summary>
    private const int MaxPasswordBytes = 64 * 1024;

    public static Command Create(CliApp app)
    {
        var name = new Argument<string>("name") { Description = "The Secret's name (what 'paude create --pull-secret' takes)." };
        var server = new Option<string>("--server") { Description = "The registry host[:port], e.g. quay.io.", Required = true };
        var username = new Option<string>("--username", "-u") { Description = "The registry user or robot account.", Required = true };
        var passwordStdin = new Option<bool>("--password-stdin") { Description = "Read the password or token from stdin (required: never as an argument)." };
        var create = new Command("create", "Create (or replace one paude made) a kubernetes.io/dockerconfigjson Secret from a registry login.")
        {
            name, server, username, passwordStdin,
        };
        create.SetAction((parse, ct) => app.RunAsync(parse, (ctx, token) =>
        {
            // The feature check in a plain (not async) lambda, like 'image build': the native build compiles the
            // OpenShift backend out (CliFeatures) and the trimmer drops the call below only when it sees this branch
            // always throw; inside an async state machine it did not, and KubernetesClient was compiled in.
            if (!CliFeatures.OpenShiftBackend || ctx.Backend.Name != BackendSelection.OpenShift)
            {
                throw new CliUsageException($"paude image pull-secret is for a cluster, but the backend is '{ctx.Backend.Name}' (Podman never pulls; add --backend openshift)");
            }

            return CreateSecretAsync(ctx, parse.GetValue(name)!, parse.GetValue(server)!, parse.GetValue(username)!, parse.GetValue(passwordStdin), token);
        }, ct));

        return new Command("pull-secret", "Image pull Secrets for a private registry.") { create };
    }

    private static async Task<int> CreateSecretAsync(CliContext ctx, string name, string server, string username, bool passwordStdin, CancellationToken token)
    {
        if (!passwordStdin || !ctx.Console.IsInputRedirected)
        {
            throw new CliUsageException("--password-stdin: give the password on stdin (e.g. printf '%s' \"$TOKEN\" | paude image pull-secret create ...)");
        }

        var credential = new RegistryCredential(server, username, await ReadPasswordAsync(ctx.Console.StandardInput, token).ConfigureAwait(false));
        var options = ctx.Services.GetRequiredService<IOptionsMonitor<OpenShiftBackendOptions>>().Get(BackendSelection.OpenShift);
        using var secrets = OpenShiftPullSecrets.Create(options, ctx.Services.GetRequiredService<ILoggerFactory>().CreateLogger<OpenShiftPullSecrets>());
        var created = await secrets.CreateOrReplaceAsync(name, credential, token).ConfigureAwait(false);
        var view = new PullSecretView(BackendSelection.OpenShift, secrets.Namespace, name, credential.Server, created);
        ctx.Output.Write(view, CliJsonContext.Output.PullSecretView, w =>
        {
            w.WriteLine($"{(created ? "Created" : "Replaced")} pull secret {view.Secret} for {view.Server} in {view.Namespace}");
            w.WriteLine($"Use it: paude --backend openshift create NAME --image {view.Server}/... --pull-secret {view.Secret}");
        });
        return ExitCodes.Ok;
    }

    /// <summary>The password: stdin up to its end, without the one trailing newline 'echo' adds.</summary>
    internal static async Task<string> ReadPasswordAsync(Stream stdin, CancellationToken cancellationToken)
    {
        var buffer = new byte[MaxPasswordBytes + 1];
        var length = 0;
        int read;
        while (length < buffer.Length && (read = await stdin.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false)) > 0)
        {
            length += read;
        }

        if (length > MaxPasswordBytes)
        {
            throw new CliUsageException($"--password-stdin: more than {MaxPasswordBytes} bytes on stdin");
        }

        var text = Encoding.UTF8.GetString(buffer, 0, length);
        return text.EndsWith("\r\n", StringComparison.Ordinal) ? text[..^2] : text.EndsWith('\n') ? text[..^1] : text;
    }
}
