namespace Paude.Backends.OpenShift.Tests.Options;

/// <summary>
/// The kubeconfig is found and merged as kubectl finds it (a user with <c>KUBECONFIG</c> set used to get
/// "kubeconfig file not found at ~/.kube/config"). Real files, real client library parsing.
/// </summary>
public sealed class KubeconfigFilesTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("paude-kubeconfig-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void An_explicit_path_wins_over_the_variable()
    {
        var files = KubeconfigFiles.Resolve("/given/config", "/a:/b", "/home/u");
        Assert.Equal(["/given/config"], files);
    }

    [Fact]
    public void Without_a_path_or_variable_the_home_config_is_used()
    {
        Assert.Equal([Path.Combine("/home/u", ".kube", "config")], KubeconfigFiles.Resolve(null, null, "/home/u"));
        Assert.Equal([Path.Combine("/home/u", ".kube", "config")], KubeconfigFiles.Resolve(null, "", "/home/u"));
    }

    [Fact]
    public void The_variable_alone_is_used_not_the_home_config()
    {
        var a = Write("a", Config("alpha", ("alpha", "https://alpha.example:6443", "team-a")));
        var files = KubeconfigFiles.Resolve(null, a, "/nonexistent-home");
        Assert.Equal([a], files);
        var config = KubeconfigFiles.Load(files, null);
        Assert.Equal("https://alpha.example:6443", config.Host.TrimEnd('/'));
        Assert.Equal("team-a", config.Namespace);
    }

    [Fact]
    public void A_list_is_merged_the_first_file_wins_and_missing_files_are_skipped()
    {
        var a = Write("a", Config("alpha", ("alpha", "https://alpha.example:6443", "team-a")));
        // b redefines alpha's cluster (ignored: a set it first) and adds context beta; its current-context is ignored too.
        var b = Write("b", Config("beta", ("alpha", "https://wrong.example:6443", "wrong"), ("beta", "https://beta.example:6443", "team-b")));
        var missing = Path.Combine(_dir, "missing");
        var files = KubeconfigFiles.Resolve(null, string.Join(Path.PathSeparator, missing, a, b), "/nonexistent-home");
        Assert.Equal([a, b], files);

        var current = KubeconfigFiles.Load(files, null);
        Assert.Equal("https://alpha.example:6443", current.Host.TrimEnd('/'));
        Assert.Equal("team-a", current.Namespace);

        var beta = KubeconfigFiles.Load(files, "beta");
        Assert.Equal("https://beta.example:6443", beta.Host.TrimEnd('/'));
        Assert.Equal("team-b", beta.Namespace);
    }

    [Fact]
    public void No_existing_file_is_a_clear_error_naming_the_paths()
    {
        var files = KubeconfigFiles.Resolve(null, "/nope/one:/nope/two", "/home/u");
        var error = Assert.Throws<FileNotFoundException>(() => KubeconfigFiles.Load(files, null));
        Assert.Contains("/nope/one", error.Message, StringComparison.Ordinal);
        Assert.Contains("/nope/two", error.Message, StringComparison.Ordinal);
    }

    private string Write(string name, string content)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, content);
        return path;
    }

    private static string Config(string current, params (string Name, string Server, string Namespace)[] entries)
    {
        var clusters = string.Concat(entries.Select(e => $"- name: {e.Name}\n  cluster:\n    server: {e.Server}\n"));
        var users = string.Concat(entries.Select(e => $"- name: {e.Name}\n  user:\n    token: t-{e.Name}\n"));
        var contexts = string.Concat(entries.Select(e => $"- name: {e.Name}\n  context:\n    cluster: {e.Name}\n    user: {e.Name}\n    namespace: {e.Namespace}\n"));
        return $"apiVersion: v1\nkind: Config\ncurrent-context: {current}\nclusters:\n{clusters}users:\n{users}contexts:\n{contexts}";
    }
}
