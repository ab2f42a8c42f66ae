using System.Text;
using Paude.Credentials;
using Paude.Credentials.Sources;
using Paude.Tests.Support;

namespace Paude.Tests.Sources;

public sealed class GitIdentitySourceTests : IDisposable
{
    private readonly TempDir _home = new();

    public void Dispose() => _home.Dispose();

    [Fact]
    public async Task Identity_IsResolvedByRealGit_FromXdgConfigAndIncludeIf_AndSurvivesQuoting()
    {
        // Name from the XDG config, e-mail only through includeIf for repositories under ~/work/.
        const string name = "Ada \"The\" Lovelace \\ Jr";
        Directory.CreateDirectory(_home.Combine(".config", "git"));
        await File.WriteAllTextAsync(_home.Combine(".config", "git", "config"),
            $"[user]\n\tname = \"Ada \\\"The\\\" Lovelace \\\\ Jr\"\n[includeIf \"gitdir:{_home.Path}/work/\"]\n\tpath = {_home.Path}/work.gitconfig\n");
        await File.WriteAllTextAsync(_home.Combine("work.gitconfig"), "[user]\n\temail = ada@work.example\n");
        var repo = Directory.CreateDirectory(_home.Combine("work", "repo")).FullName;
        (await Run.ExecAsync(["git", "init", "-q", repo], env: Env())).EnsureSuccess("git init");

        var inRepo = await ItemsAsync(repo);
        var item = Assert.Single(inRepo);
        Assert.Equal(GitIdentityCredentialSource.PackagePath, item.PackagePath);
        Assert.False(item.Secret);
        var file = _home.Combine("identity.gitconfig");
        await File.WriteAllBytesAsync(file, item.Content!.Value.ToArray());
        Assert.Equal(name, (await Run.ExecAsync("git", "config", "--file", file, "--get", "user.name")).EnsureSuccess("read name").Stdout.TrimEnd('\n'));
        Assert.Equal("ada@work.example", (await Run.ExecAsync("git", "config", "--file", file, "--get", "user.email")).EnsureSuccess("read email").Stdout.TrimEnd('\n'));

        // Outside ~/work the includeIf does not apply: only the name is packaged.
        var outside = await ItemsAsync(_home.Path);
        var text = Encoding.UTF8.GetString(Assert.Single(outside).Content!.Value.Span);
        Assert.Contains("name = ", text, StringComparison.Ordinal);
        Assert.DoesNotContain("email", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NoIdentity_ContributesNothing()
    {
        Assert.Empty(await ItemsAsync(_home.Path));
    }

    private async Task<IReadOnlyList<CredentialItem>> ItemsAsync(string cwd)
    {
        var options = new CredentialOptions { HomeDirectory = _home.Path, GitWorkingDirectory = cwd };
        var source = new GitIdentityCredentialSource(Microsoft.Extensions.Options.Options.Create(options));
        return await source.GetItemsAsync();
    }

    private Dictionary<string, string> Env() => new() { ["HOME"] = _home.Path };
}
