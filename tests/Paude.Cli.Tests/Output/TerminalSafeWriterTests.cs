using System.Text;
using System.Text.Json;
using Paude.Cli.Output;

namespace Paude.Cli.Tests.Output;

/// <summary>The writer all of paude's text output goes through: control characters shown, never passed on.</summary>
public sealed class TerminalSafeWriterTests
{
    [Theory]
    [InlineData("\u001b]52;c;cHduZWQ=\u0007", "\\u001b]52;c;cHduZWQ=\\u0007")]
    [InlineData("warning\roverwritten", "warning\\u000doverwritten")]
    [InlineData("8-bit CSI \u009b2J, DEL \u007f, NUL \0", "8-bit CSI \\u009b2J, DEL \\u007f, NUL \\u0000")]
    [InlineData("txt.\u202egpj", "txt.\\u202egpj")]
    [InlineData("line\n\ttab ünïcödé 日本", "line\n\ttab ünïcödé 日本")]
    public void Escapes_every_control_character_but_newline_and_tab(string text, string shown)
    {
        var (writer, output) = Create();

        writer.Write(text);
        writer.Write(text.ToCharArray(), 0, text.Length);
        writer.WriteLine(text);
        foreach (var c in text)
        {
            writer.Write(c);
        }

        Assert.Equal(shown + shown + shown + "\n" + shown, output.ToString());
    }

    [Fact]
    public async Task Async_and_formatted_writes_are_escaped_too()
    {
        var (writer, output) = Create();

        await writer.WriteLineAsync("a\u001b[2Jb");
        await writer.WriteAsync("c\u001b".AsMemory());
        writer.WriteLine("{0}", "\u0007");

        Assert.Equal("a\\u001b[2Jb\nc\\u001b\\u0007\n", output.ToString());
    }

    [Fact]
    public void Json_stays_valid_and_means_the_same()
    {
        var (writer, output) = Create();
        var value = "x\u009b\u202e\u001b";

        // A relaxed encoder may leave some of these characters raw inside a string; escaped there, they decode the same.
        writer.Write("{\"v\":\"" + value + "\"}");

        Assert.Equal(value, JsonDocument.Parse(output.ToString()).RootElement.GetProperty("v").GetString());
    }

    [Fact]
    public void Its_own_control_sequence_passes_as_it_is()
    {
        var (writer, output) = Create();

        writer.WriteControl("\r\u001b[K");

        Assert.Equal("\r\u001b[K", output.ToString());
    }

    private static (TerminalSafeWriter Writer, StringWriter Output) Create()
    {
        var output = new StringWriter(new StringBuilder()) { NewLine = "\n" };
        return (new TerminalSafeWriter(output) { NewLine = "\n" }, output);
    }
}
