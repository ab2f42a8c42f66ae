using Microsoft.Extensions.Logging;
using Paude.Cli.Hosting;

namespace Paude.Cli.Tests.Hosting;

/// <summary>paude's log lines: what the SDK logs from a session (an error naming a hostile file) is escaped.</summary>
public sealed class CliLoggerProviderTests
{
    [Fact]
    public void A_logged_session_error_reaches_stderr_escaped_with_its_exception()
    {
        var error = new StringWriter { NewLine = "\n" };
        using var provider = new CliLoggerProvider(error);
        var logger = provider.CreateLogger("Paude.Sync.TwoWay");

        logger.Log(LogLevel.Warning, new EventId(7), "round failed (x\u001b]52;c;cHduZWQ=\u0007)", new InvalidOperationException("boom\r\u001b[2K"), (s, _) => s);

        Assert.Equal(
            "warn: Paude.Sync.TwoWay[7] round failed (x\\u001b]52;c;cHduZWQ=\\u0007)\nSystem.InvalidOperationException: boom\\u000d\\u001b[2K\n",
            error.ToString());
    }
}
