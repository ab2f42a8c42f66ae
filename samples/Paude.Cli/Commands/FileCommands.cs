using System.CommandLine;
using Paude.Cli.Output;
using Paude.Cli.Support;

namespace Paude.Cli.Commands;

/// <summary>upload / download: copy a directory into or out of a session through the tar file channel.</summary>
internal static class FileCommands
{
    private const string DefaultContainerDirectory = "/pvc/workspace";

    public static IEnumerable<Command> Create(CliApp app)
    {
        yield return Transfer(app, upload: true);
        yield return Transfer(app, upload: false);
    }

    private static Command Transfer(CliApp app, bool upload)
    {
        var name = SessionCommands.NameArgument();
        var local = new Argument<string>(upload ? "source" : "destination")
        {
            Description = upload ? "The local folder whose contents are uploaded." : "A new local folder to download into (must not exist yet).",
        };
        var remote = new Option<string>(upload ? "--to" : "--from")
        {
            Description = $"The folder in the session (default {DefaultContainerDirectory}).",
            DefaultValueFactory = _ => DefaultContainerDirectory,
        };
        var includeGit = new Option<bool>("--include-git-metadata")
        {
            Description = "Copy git metadata too (.git in any spelling, repository folders): the raw copy is untrusted, never run git in it. Default: left out; bring commits back with `paude sync`.",
        };
        var command = upload
            ? new Command("upload", "Copy the contents of a local folder into a folder of the session (existing files are overwritten).") { name, local, remote }
            : new Command("download", "Copy a folder of the session into a new local folder; unsafe entries (path escapes, device files, links out) are refused and git metadata is left out.") { name, local, remote, includeGit };
        command.Aliases.Add(upload ? "cp-to" : "cp-from");
        command.SetAction((parse, ct) => app.RunAsync(parse, async (ctx, token) =>
        {
            var session = SessionCommands.ParseName(parse.GetValue(name));
            var localPath = Path.GetFullPath(parse.GetValue(local)!);
            var containerPath = parse.GetValue(remote)!;
            if (!containerPath.StartsWith('/'))
            {
                throw new CliUsageException($"The session folder '{containerPath}' must be an absolute path.");
            }

            IReadOnlyList<string> leftOut = [];
            var activity = upload ? $"Uploading {localPath} to {session}:{containerPath}" : $"Downloading {session}:{containerPath} to {localPath}";
            await ctx.Progress.RunAsync(activity, async c =>
            {
                if (upload)
                {
                    await DirectoryArchive.UploadAsync(ctx.Backend, session, localPath, containerPath, c).ConfigureAwait(false);
                }
                else
                {
                    var result = await DirectoryArchive.DownloadAsync(ctx.Backend, session, containerPath, localPath, parse.GetValue(includeGit), c).ConfigureAwait(false);
                    leftOut = result.LeftOut;
                }

                return true;
            }, token).ConfigureAwait(false);
            if (leftOut.Count > 0)
            {
                ctx.Output.Console.Error.WriteLine(LeftOutLine(leftOut));
            }

            var view = new TransferView(session, ctx.Backend.Name, upload ? "upload" : "download", localPath, containerPath, leftOut);
            ctx.Output.Write(view, CliJsonContext.Output.TransferView, w =>
                w.WriteLine(upload ? $"Uploaded {localPath} to {session}:{containerPath}." : $"Downloaded {session}:{containerPath} to {localPath}."));
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    // One line, however much was left out: the count, the first few paths, and where commits come back instead.
    private static string LeftOutLine(IReadOnlyList<string> leftOut)
    {
        const int Shown = 3;
        var paths = string.Join(", ", leftOut.Take(Shown)) + (leftOut.Count > Shown ? ", ..." : string.Empty);
        return $"paude: left out {leftOut.Count} git metadata path(s) ({paths}); bring commits back with `paude sync` (or --include-git-metadata for the raw, untrusted copy).";
    }
}
