using Paude.Errors;
using Paude.Sync;

namespace Paude.Abstractions.Tests.Errors;

/// <summary>
/// A typed error's message names what a hostile session sent (a file name, a commit subject, its stderr): an SDK user
/// who logs or prints the message must not pass an ESC sequence to a terminal. The properties keep the true values.
/// </summary>
public sealed class ErrorMessageTests
{
    private const string Hostile = "x\u001b]52;c;cHduZWQ=\u0007\r\u009b2K\u202egpj.txt";
    private const string Shown = "x\\u001b]52;c;cHduZWQ=\\u0007\\u000d\\u009b2K\\u202egpj.txt";

    public static TheoryData<string, Exception> Errors() => new()
    {
        { "unsafe content", new UnsafeContentException(Hostile, "is a symlink to '" + Hostile + "'") },
        { "conflict", new SyncConflictException([Hostile]) },
        { "unsafe sync", new UnsafeSyncException("refused", ["0123456789 " + Hostile], [Hostile]) },
        { "transport", new SyncTransportException("the session said: " + Hostile) },
    };

    [Theory]
    [MemberData(nameof(Errors))]
    public void ControlCharactersFromASessionAreEscapedInTheMessage(string kind, Exception error)
    {
        Assert.False(error.Message.Any(c => (char.IsControl(c) && c is not '\n' and not '\t') || c is '\u202e'), kind + ": " + error.Message);
        Assert.Contains(Shown, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PropertiesKeepTheTrueValuesAndLineBreaksStay()
    {
        var error = new UnsafeSyncException("refused", ["0123456789 subject"], [Hostile, "b"]);

        Assert.Equal(Hostile, new UnsafeContentException(Hostile, "r").Entry);
        Assert.Equal([Hostile, "b"], error.PathsAtRisk);
        Assert.Contains(Environment.NewLine + "  b", error.Message, StringComparison.Ordinal);
    }
}
