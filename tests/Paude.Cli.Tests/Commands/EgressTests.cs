using Paude.Cli.Tests.Infrastructure;

namespace Paude.Cli.Tests.Commands;

/// <summary>allowed-domains and blocked-domains on a running session.</summary>
[Collection("podman")]
public sealed class EgressTests(SharedSessionFixture shared)
{
    [Fact]
    public async Task Allowed_domains_can_be_read_added_removed_and_replaced()
    {
        try
        {
            var initial = await Entries();
            Assert.Equal(["default"], initial);

            var added = await PaudeCli.RunAsync("allowed-domains", shared.Name, "--add", ".example.org", "api.test.invalid", "-o", "json");
            Assert.True(added.ExitCode == 0, added.ToString());
            Assert.Equal(["default", ".example.org", "api.test.invalid"], Strings(added.Json().GetProperty("entries")));
            Assert.Contains(".example.org", Strings(added.Json().GetProperty("domains")));
            Assert.Equal(["default", ".example.org", "api.test.invalid"], await Entries()); // read back from the session

            var removed = await PaudeCli.RunAsync("allowed-domains", shared.Name, "--remove", "api.test.invalid", "-o", "json");
            Assert.Equal(0, removed.ExitCode);
            Assert.Equal(["default", ".example.org"], Strings(removed.Json().GetProperty("entries")));

            // github.com comes from the "default" alias: removing it spells the aliases out, minus github.com.
            var fromAlias = await PaudeCli.RunAsync("allowed-domains", shared.Name, "--remove", "github.com", "-o", "json");
            Assert.Equal(0, fromAlias.ExitCode);
            var domains = Strings(fromAlias.Json().GetProperty("domains"));
            Assert.DoesNotContain("github.com", domains);
            Assert.Contains("api.github.com", domains);
            Assert.Contains(".example.org", domains);

            var human = await PaudeCli.RunAsync("allowed-domains", shared.Name, "--replace", "all");
            Assert.Equal(0, human.ExitCode);
            Assert.StartsWith("unrestricted", human.Stdout, StringComparison.Ordinal);
            Assert.Contains("Updating the allow-list", human.Stderr, StringComparison.Ordinal);
        }
        finally
        {
            await PaudeCli.RunAsync("allowed-domains", shared.Name, "--replace", "default");
        }

        Assert.Equal(["default"], await Entries());
    }

    [Fact]
    public async Task Removing_an_entry_that_is_not_there_exits_2_and_changes_nothing()
    {
        var before = await Entries();

        var run = await PaudeCli.RunAsync("allowed-domains", shared.Name, "--remove", "not-there.example");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("'not-there.example' is not on the allow-list", run.Stderr, StringComparison.Ordinal);
        Assert.Equal(before, await Entries());
    }

    [Fact]
    public async Task An_invalid_entry_exits_2_and_changes_nothing()
    {
        var before = await Entries();

        var run = await PaudeCli.RunAsync("allowed-domains", shared.Name, "--add", "bad host!", "-o", "json");

        Assert.Equal(2, run.ExitCode);
        Assert.Equal("invalid-allowed-domains", run.ErrorJson().GetProperty("error").GetProperty("kind").GetString());
        Assert.Equal(before, await Entries());
    }

    [Fact]
    public async Task A_refused_request_shows_up_in_blocked_domains()
    {
        var curl = await PaudeCli.RunAsync("exec", shared.Name, "--", "curl", "-sS", "-o", "/dev/null", "-m", "20", "https://blocked.example.com/");
        Assert.NotEqual(0, curl.ExitCode);

        // squid writes its access-log line as the transaction ends, a moment after curl has its answer.
        var json = await Eventually.UntilAsync(
            () => PaudeCli.RunAsync("blocked-domains", shared.Name, "--raw", "-o", "json"),
            run => run.ExitCode != 0 || run.Json().GetProperty("hosts").EnumerateArray().Any(h => h.GetProperty("host").GetString() == "blocked.example.com"),
            "blocked.example.com in blocked-domains",
            TimeSpan.FromSeconds(30));
        var human = await PaudeCli.RunAsync("blocked-domains", shared.Name);

        Assert.True(json.ExitCode == 0, json.ToString());
        var host = json.Json().GetProperty("hosts").EnumerateArray().Single(h => h.GetProperty("host").GetString() == "blocked.example.com");
        Assert.True(host.GetProperty("count").GetInt32() >= 1);
        Assert.Contains(json.Json().GetProperty("requests").EnumerateArray(), r => r.GetProperty("method").GetString() == "CONNECT");
        Assert.Equal(0, human.ExitCode);
        Assert.Contains(human.Stdout.Split('\n'), l => l.StartsWith("blocked.example.com ", StringComparison.Ordinal));
    }

    private async Task<List<string?>> Entries()
    {
        var run = await PaudeCli.RunAsync("allowed-domains", shared.Name, "-o", "json");
        Assert.True(run.ExitCode == 0, run.ToString());
        return Strings(run.Json().GetProperty("entries"));
    }

    private static List<string?> Strings(System.Text.Json.JsonElement array) => [.. array.EnumerateArray().Select(e => e.GetString())];
}
