using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using Paude.Cli.Output;
using Paude.Credentials;
using Paude.Errors;

namespace Paude.Cli.Commands;

/// <summary>credentials list: the credential sources that <c>create --credentials</c> accepts.</summary>
internal static class CredentialCommands
{
    public static IEnumerable<Command> Create(CliApp app)
    {
        var list = new Command("list", "List the credential sources this build can package into a session.");
        list.SetAction((parse, ct) => app.RunAsync(parse, (ctx, _) =>
        {
            var packager = ctx.Services.GetService<ICredentialPackager>()
                ?? throw new BackendUnavailableException(ctx.Backend.Name, "Paude.Credentials", "no credential packager is registered in this build of paude");
            var sources = packager.SourceNames.Order(StringComparer.Ordinal).ToList();
            ctx.Output.Write(new CredentialSourcesView(sources), CliJsonContext.Output.CredentialSourcesView, w =>
            {
                foreach (var source in sources)
                {
                    w.WriteLine(source);
                }
            });
            return Task.FromResult(ExitCodes.Ok);
        }, ct));
        yield return new Command("credentials", "Credential packaging (claude, gcloud, git, ...).") { list };
    }
}
