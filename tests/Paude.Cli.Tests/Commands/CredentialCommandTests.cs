using Paude.Cli.Tests.Infrastructure;

namespace Paude.Cli.Tests.Commands;

public sealed class CredentialCommandTests
{
    [Fact]
    public async Task Credentials_list_names_the_registered_sources()
    {
        var json = await PaudeCli.RunAsync("credentials", "list", "--output", "json");
        var human = await PaudeCli.RunAsync("credentials", "list");

        Assert.Equal(0, json.ExitCode);
        Assert.Equal(["claude", "gcloud", "git"], json.Json().GetProperty("sources").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(0, human.ExitCode);
        Assert.Equal("claude\ngcloud\ngit\n", human.Stdout);
    }

    [Fact]
    public async Task Create_rejects_a_bad_credential_source_name_with_exit_2()
    {
        var workspace = Directory.CreateTempSubdirectory("paude-cli-cred-").FullName;
        try
        {
            var run = await PaudeCli.RunAsync("create", "credcheck", "--workspace", workspace, "--credentials", "Not A Source", "-o", "json");

            Assert.Equal(2, run.ExitCode);
            Assert.Contains(run.ErrorJson().GetProperty("error").GetProperty("errors").EnumerateArray(),
                e => e.GetString()!.StartsWith("Credentials:", StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(workspace);
        }
    }
}
