using Paude.Cli.Output;
using Paude.Cli.Support;

namespace Paude.Cli.Tests.Support;

public sealed class ArgvSplitterTests
{
    [Theory]
    [InlineData("claude", new[] { "claude" })]
    [InlineData("  claude   --verbose ", new[] { "claude", "--verbose" })]
    [InlineData("bash -c 'echo agent ready; exec sleep infinity'", new[] { "bash", "-c", "echo agent ready; exec sleep infinity" })]
    [InlineData("echo \"a \\\"quoted\\\" $HOME\"", new[] { "echo", "a \"quoted\" $HOME" })]
    [InlineData("a\\ b c''d \"\"", new[] { "a b", "cd", "" })]
    [InlineData("x '$(rm -rf /)' `id`", new[] { "x", "$(rm -rf /)", "`id`" })]
    public void Splits_with_shell_quoting_and_expands_nothing(string line, string[] expected) =>
        Assert.Equal(expected, ArgvSplitter.Split(line));

    [Theory]
    [InlineData("bash -c 'unterminated")]
    [InlineData("echo \"unterminated")]
    public void Unterminated_quotes_are_a_usage_error(string line) =>
        Assert.Throws<CliUsageException>(() => ArgvSplitter.Split(line));
}
