using Paude.Errors;
using Paude.Sessions;

namespace Paude.Tests.Sessions;

public sealed class SessionNameTests
{
    [Theory]
    [InlineData("a")]
    [InlineData("my-session")]
    [InlineData("0abc9")]
    [InlineData("a234567890123456789012345678901234567890")]
    public void ValidNamesParse(string value)
    {
        Assert.Equal(value, SessionName.Parse(value).Value);
        Assert.True(SessionName.TryParse(value, out var name));
        Assert.Equal(value, (string)name!.Value);
        Assert.Null(SessionName.Validate(value));
    }

    [Theory]
    [InlineData(null, "empty")]
    [InlineData("", "empty")]
    [InlineData("MySession", "'M'")]
    [InlineData("a2345678901234567890123456789012345678901", "41 characters")]
    [InlineData("..", "'.'")]
    [InlineData("a..b", "'.'")]
    [InlineData("my session", "' '")]
    [InlineData("-lead", "starts or ends")]
    [InlineData("trail-", "starts or ends")]
    [InlineData("under_score", "'_'")]
    [InlineData("a/b", "'/'")]
    [InlineData("ünicode", "'ü'")]
    public void InvalidNamesAreRefusedWithAReason(string? value, string reason)
    {
        var e = Assert.Throws<InvalidSessionNameException>(() => SessionName.Parse(value));
        Assert.Contains(reason, e.Errors[0], StringComparison.Ordinal);
        Assert.Equal(value ?? string.Empty, e.Name);
        Assert.False(SessionName.TryParse(value, out var none));
        Assert.Null(none);
    }

    [Theory]
    [InlineData("/tmp/My Project", "my-project")]
    [InlineData("/tmp/Überprojekt_2", "berprojekt-2")]
    [InlineData("/tmp/...", "session")]
    [InlineData("/tmp/___", "session")]
    [InlineData("/tmp/a-very-long-folder-name-that-goes-on", "a-very-long-folder-n")]
    [InlineData("/tmp/abcdefghijklmnopqrs-tuv", "abcdefghijklmnopqrs")]
    [InlineData("/tmp/trailing/", "trailing")]
    public void GenerateDerivesAValidNameFromOddFolders(string folder, string stem)
    {
        var name = SessionName.Generate(folder).Value;
        Assert.Null(SessionName.Validate(name));
        Assert.Matches($"^{stem}-[0-9a-f]{{6}}$", name);
    }

    [Fact]
    public void GenerateIsRandomPerCall() =>
        Assert.NotEqual(SessionName.Generate("/tmp/x").Value, SessionName.Generate("/tmp/x").Value);

    [Fact]
    public void DefaultValueIsNotUsable()
    {
        var name = default(SessionName);
        Assert.Throws<InvalidOperationException>(() => name.Value);
        Assert.Equal(string.Empty, name.ToString());
    }
}
