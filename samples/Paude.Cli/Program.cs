using Paude.Cli.Commands;
using Paude.Cli.Hosting;

return await PaudeCommandLine.InvokeAsync(args, CliConsole.FromProcess(), handleTermination: true).ConfigureAwait(false);
