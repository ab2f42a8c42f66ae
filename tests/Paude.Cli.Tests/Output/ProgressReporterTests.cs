using System.Text;
using System.Text.RegularExpressions;
using Paude.Cli.Hosting;
using Paude.Cli.Output;

namespace Paude.Cli.Tests.Output;

/// <summary>The spinner on a terminal: its own line clear passes, what it names (a path, a session) is escaped.</summary>
public sealed class ProgressReporterTests
{
    [Fact]
    public async Task On_a_terminal_the_spinner_clears_its_line_and_escapes_the_activity()
    {
        using var stderr = new MemoryStream();
        var console = new CliConsole(Stream.Null, stderr, Stream.Null, isInputRedirected: false, isErrorTerminal: true);
        var progress = new ProgressReporter(console, TimeProvider.System, enabled: true);

        var result = await progress.RunAsync("Syncing /tmp/a\u001b]0;x\u0007", async ct =>
        {
            await Task.Delay(300, ct);
            return 42;
        }, CancellationToken.None);

        var text = Encoding.UTF8.GetString(stderr.ToArray());
        Assert.Equal(42, result);
        Assert.StartsWith("\r\u001b[K| Syncing /tmp/a\\u001b]0;x\\u0007 (0 s)", text, StringComparison.Ordinal);
        var shown = Regex.Replace(text, @"\(\d+\.\d s\)", "(T s)");
        Assert.EndsWith("\r\u001b[KSyncing /tmp/a\\u001b]0;x\\u0007: done (T s)\n", shown, StringComparison.Ordinal);
        Assert.Equal(text.Split("\r\u001b[K").Length - 1, text.Count(c => c == '\u001b'));
    }
}
