using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Paude.Backends.OpenShift;
using Paude.Cli.Hosting;
using Paude.Cli.Output;

namespace Paude.Cli.Commands;

/// <summary>
/// <c>paude image build CONTEXT</c>: builds an image inside the OpenShift cluster (a binary build of the context
/// directory into an ImageStream tag, through the API) and prints the reference sessions take with
/// <c>paude create --image</c>. The build log streams to stderr; stdout carries only the result.
/// </summary>
internal static class ImageCommands
{
    public static IEnumerable<Command> Create(CliApp app)
    {
        var context = new Argument<string>("context") { Description = "The build context directory (uploaded whole), e.g. images/agent." };
        var stream = new Option<string>("--name") { Description = "The ImageStream (and BuildConfig) to build into.", DefaultValueFactory = _ => "paude-agent" };
        var tag = new Option<string>("--tag") { Description = "The ImageStream tag.", DefaultValueFactory = _ => "latest" };
        var file = new Option<string?>("--file", "-f") { Description = "The Containerfile, relative to the context (default: Containerfile, else Dockerfile)." };
        var timeout = new Option<int>("--timeout") { Description = "Seconds the upload and build may take.", DefaultValueFactory = _ => 1800 };
        var build = new Command("build", "Build an image in the OpenShift cluster (binary build into an ImageStream) for 'paude create --image'.")
        {
            context, stream, tag, file, timeout,
        };
        build.SetAction((parse, ct) => app.RunAsync(parse, (ctx, token) =>
        {
            // A build without the backend has handed an openshift command over before this runs.
            if (!CliFeatures.OpenShiftBackend || ctx.Backend.Name != BackendSelection.OpenShift)
            {
                throw new CliUsageException($"paude image build builds inside an OpenShift cluster, but the backend is '{ctx.Backend.Name}' (add --backend openshift or set PAUDE_BACKEND=openshift)");
            }

            return BuildAsync(ctx, parse, context, stream, tag, file, timeout, token);
        }, ct));

        yield return new Command("image", "Images a cluster can run.") { build, ImagePushCommand.Create(app), PullSecretCommand.Create(app) };
    }

    private static async Task<int> BuildAsync(
        CliContext ctx, ParseResult parse, Argument<string> context, Option<string> stream, Option<string> tag, Option<string?> file, Option<int> timeout, CancellationToken token)
    {
        var options = ctx.Services.GetRequiredService<IOptionsMonitor<OpenShiftBackendOptions>>().Get(BackendSelection.OpenShift);
        var request = new ImageBuildRequest(parse.GetValue(stream)!, Path.GetFullPath(parse.GetValue(context)!))
        {
            Tag = parse.GetValue(tag)!,
            ContainerfilePath = parse.GetValue(file),
            Timeout = TimeSpan.FromSeconds(parse.GetValue(timeout)),
        };
        using var builder = OpenShiftImageBuilder.Create(options, ctx.Services.GetRequiredService<ILoggerFactory>().CreateLogger<OpenShiftImageBuilder>());
        var result = await builder.BuildAsync(request, new LogLines(ctx.Console.Error), token).ConfigureAwait(false);
        var view = new ImageBuildView(BackendSelection.OpenShift, builder.Namespace, request.ImageStream, request.Tag, result.ImageReference, result.DigestReference, result.BuildName, Math.Round(result.Duration.TotalSeconds, 1));
        ctx.Output.Write(view, CliJsonContext.Output.ImageBuildView, w =>
        {
            w.WriteLine($"Built {view.Image} (build {view.Build}, {view.Seconds:F1} s)");
            w.WriteLine($"Digest: {view.DigestImage ?? "-"}");
            w.WriteLine($"Use it: paude --backend openshift create NAME --image {view.DigestImage ?? view.Image}");
        });
        return ExitCodes.Ok;
    }

    /// <summary>Writes each build log line to stderr as it arrives (on the reporting thread, so lines keep their order).</summary>
    private sealed class LogLines(TextWriter error) : IProgress<string>
    {
        public void Report(string value) => error.WriteLine(value);
    }
}
