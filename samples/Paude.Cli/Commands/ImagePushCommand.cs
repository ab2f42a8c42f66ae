using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Paude.Backends.Podman;
using Paude.Cli.Hosting;
using Paude.Cli.Output;

namespace Paude.Cli.Commands;

/// <summary>
/// <c>paude image push [SOURCE] --to REGISTRY/PATH[:TAG]</c>: pushes a locally built image (default: the agent image)
/// with the user's podman to a registry any cluster can pull from, and prints the reference by digest for
/// <c>paude create --image</c>. A login comes from <c>--username</c> + <c>--password-stdin</c> (never an argument) or
/// podman's own logins; TLS is verified unless <c>--tls-verify=false</c>. Works with every backend (it needs podman only).
/// </summary>
internal static class ImagePushCommand
{
    public static Command Create(CliApp app)
    {
        var source = new Argument<string?>("source") { Description = "The local image (default: the agent image, PAUDE_AGENT_IMAGE or localhost/paude-agent:latest).", Arity = ArgumentArity.ZeroOrOne };
        var to = new Option<string>("--to") { Description = "The registry reference, host[:port]/path[:tag], e.g. quay.io/team/paude-agent:v1.", Required = true };
        var username = new Option<string?>("--username", "-u") { Description = "The registry user (with --password-stdin); default: podman's own logins." };
        var passwordStdin = new Option<bool>("--password-stdin") { Description = "Read the password or token from stdin (never as an argument)." };
        var tlsVerify = new Option<bool>("--tls-verify") { Description = "Verify the registry's TLS certificate; --tls-verify=false for a test or insecure (plain HTTP) registry.", DefaultValueFactory = _ => true };
        var timeout = new Option<int>("--timeout") { Description = "Seconds the push may take.", DefaultValueFactory = _ => 1800 };
        var push = new Command("push", "Push a local image to a registry for 'paude create --image' on any cluster.")
        {
            source, to, username, passwordStdin, tlsVerify, timeout,
        };
        push.SetAction((parse, ct) => app.RunAsync(parse, async (ctx, token) =>
        {
            var user = parse.GetValue(username);
            if (user is not null != parse.GetValue(passwordStdin))
            {
                throw new CliUsageException("--username and --password-stdin go together (e.g. printf '%s' \"$TOKEN\" | paude image push --to R -u USER --password-stdin); without both, podman's own logins are used");
            }

            if (user is not null && !ctx.Console.IsInputRedirected)
            {
                throw new CliUsageException("--password-stdin: give the password on stdin (e.g. printf '%s' \"$TOKEN\" | paude image push ...)");
            }

            var options = ctx.Services.GetRequiredService<IOptionsMonitor<PodmanBackendOptions>>().Get(BackendSelection.Podman);
            var request = new ImagePushRequest(parse.GetValue(source) ?? options.AgentImage, parse.GetValue(to)!)
            {
                Username = user,
                Password = user is null ? null : await PullSecretCommand.ReadPasswordAsync(ctx.Console.StandardInput, token).ConfigureAwait(false),
                TlsVerify = parse.GetValue(tlsVerify),
                Timeout = TimeSpan.FromSeconds(parse.GetValue(timeout)),
            };
            var pusher = new PodmanImagePusher(options, ctx.Services.GetRequiredService<ILoggerFactory>().CreateLogger<PodmanImagePusher>());
            var result = await pusher.PushAsync(request, token).ConfigureAwait(false);
            var view = new ImagePushView(request.Source, result.Reference, result.Digest, result.DigestReference, Math.Round(result.Duration.TotalSeconds, 1));
            ctx.Output.Write(view, CliJsonContext.Output.ImagePushView, w =>
            {
                w.WriteLine($"Pushed {view.Source} to {view.Image} ({view.Seconds:F1} s)");
                w.WriteLine($"Digest: {view.DigestImage}");
                w.WriteLine($"Use it: paude --backend openshift create NAME --image {view.DigestImage} --pull-secret SECRET");
            });
            return ExitCodes.Ok;
        }, ct));
        return push;
    }
}
