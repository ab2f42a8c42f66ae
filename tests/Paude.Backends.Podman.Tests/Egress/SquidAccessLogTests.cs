using System.Text;
using Paude.Egress;

namespace Paude.Tests.Egress;

public sealed class SquidAccessLogTests
{
    private static List<BlockedRequest> Parse(string text) => [.. SquidConfig.ParseBlockedRequests(new StringReader(text))];

    [Fact]
    public void ReturnsOnlyDeniedRequests()
    {
        var blocked = Parse(
            "1795759027.876 10.89.0.3 TCP_DENIED/403 GET denied.example.com http://denied.example.com/x?y=1\n" +
            "1795759027.900 10.89.0.3 TCP_MISS/200 GET allowed.example.com http://allowed.example.com/\n" +
            "1795759028.001 10.89.0.3 TCP_DENIED/403 CONNECT Evil.Example.com evil.example.com:443\r\n" +
            "1795759028.500 10.89.0.3 TCP_TUNNEL/200 CONNECT ok.example.com ok.example.com:443");
        Assert.Equal(2, blocked.Count);
        Assert.Equal(new BlockedRequest(DateTimeOffset.FromUnixTimeMilliseconds(1_795_759_027_876), "GET", "denied.example.com", "http://denied.example.com/x?y=1"), blocked[0]);
        Assert.Equal(new BlockedRequest(DateTimeOffset.FromUnixTimeMilliseconds(1_795_759_028_001), "CONNECT", "evil.example.com", "evil.example.com:443"), blocked[1]);
    }

    [Theory]
    [InlineData("")]
    [InlineData("garbage")]
    [InlineData("TCP_DENIED/403")]
    [InlineData("1795759027.876 10.89.0.3 TCP_DENIED/403 GET denied.example.com")]
    [InlineData("1795759027.876 10.89.0.3 TCP_DENIED/403 GET denied.example.com http://x/ extra")]
    [InlineData("notatime 10.89.0.3 TCP_DENIED/403 GET denied.example.com http://x/")]
    [InlineData("99999999999999999999.876 10.89.0.3 TCP_DENIED/403 GET h http://x/")]
    [InlineData("999999999999.876 10.89.0.3 TCP_DENIED/403 GET h http://x/")]
    [InlineData("-1.876 10.89.0.3 TCP_DENIED/403 GET h http://x/")]
    [InlineData("1795759027.8765 10.89.0.3 TCP_DENIED/403 GET h http://x/")]
    [InlineData("1795759027.876 10.89.0.3 TCP_DENIED/403 get h http://x/")]
    [InlineData("1795759027.876 10.89.0.3 TCP_DENIED/403 GET - http://x/")]
    [InlineData("1795759027.876 10.89.0.3 TCP_DENIED/403 GET h<script> http://x/")]
    [InlineData("1795759027.876 10.89.0.3 /403 GET h http://x/")]
    [InlineData("1795759027.876 10.89.0.3 TCP_DENIED GET h http://x/")]
    [InlineData("1795759027.876 10.89.0.3 TCP_DENIED/403 GET h http://x/\u0007bell")]
    [InlineData("\0\0\0\0")]
    public void SkipsMalformedLinesWithoutThrowing(string line)
    {
        Assert.Empty(Parse(line + "\n"));
    }

    [Fact]
    public void SkipsOverlongLinesButKeepsReadingAfterThem()
    {
        var good = "1795759027.876 10.89.0.3 TCP_DENIED/403 GET denied.example.com http://denied.example.com/\n";
        var huge = "1795759027.876 10.89.0.3 TCP_DENIED/403 GET long.example.com http://long.example.com/" + new string('a', 3_000_000) + "\n";
        var blocked = Parse(huge + good + huge);
        Assert.Equal(["denied.example.com"], blocked.Select(b => b.Host));
    }

    [Fact]
    public void ReadsLazilyFromAStream()
    {
        var text = string.Concat(Enumerable.Range(0, 10_000).Select(i => $"17957590{i % 100:00}.001 10.89.0.3 TCP_DENIED/403 GET h{i}.example.com http://h{i}.example.com/\n"));
        using var reader = new StreamReader(new MemoryStream(Encoding.UTF8.GetBytes(text)));
        var first = SquidConfig.ParseBlockedRequests(reader).Take(3).ToList();
        Assert.Equal(["h0.example.com", "h1.example.com", "h2.example.com"], first.Select(b => b.Host));
    }

    [Fact]
    public void RandomBytesNeverThrow()
    {
        var random = new Random(42);
        var bytes = new byte[200_000];
        random.NextBytes(bytes);
        var text = Encoding.Latin1.GetString(bytes);
        Assert.Empty(Parse(text));
    }

    [Fact]
    public void ParseRejectsNullReader() => Assert.Throws<ArgumentNullException>(() => SquidConfig.ParseBlockedRequests(null!));
}
