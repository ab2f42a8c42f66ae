using Paude.Execution;

namespace Paude.Conformance;

/// <summary>
/// A folder downloaded through the backend's tar stream never brings the session's git metadata onto the host by
/// default (a <c>.git/config</c> the agent wrote would run its code at the next <c>git status</c>), and does when asked.
/// </summary>
public abstract partial class BackendConformanceTests<TFixture>
{
    [Fact]
    public async Task File_channel_download_leaves_out_git_metadata_unless_asked()
    {
        var name = await Fixture.SharedSessionAsync();
        var local = Directory.CreateTempSubdirectory("paude-ct-gitmeta-").FullName;
        try
        {
            void Write(string relative, string content)
            {
                var path = Path.Combine(local, relative);
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                File.WriteAllText(path, content);
            }

            foreach (var repo in new[] { ".git", "b.git" })
            {
                Write(repo + "/HEAD", "ref: refs/heads/main\n");
                Write(repo + "/config", "[core]\n\tfsmonitor = \"false\"\n");
                Directory.CreateDirectory(Path.Combine(local, repo, "objects"));
                Directory.CreateDirectory(Path.Combine(local, repo, "refs"));
            }

            Write("sub/.GIT", "gitdir: ../b.git\n");
            Write("sub/ok.txt", "fine\n");
            var container = Fixture.SessionPath(name, $"/pvc/workspace/gm-{Guid.NewGuid():N}");
            await DirectoryChannel.UploadAsync(Backend, name, local, container, exclude: null, CancellationToken.None);

            var safe = local + "-safe";
            var leftOut = await DirectoryChannel.DownloadAsync(Backend, name, container, safe, includeGitMetadata: false, CancellationToken.None);
            var raw = local + "-raw";
            var none = await DirectoryChannel.DownloadAsync(Backend, name, container, raw, includeGitMetadata: true, CancellationToken.None);

            Assert.Equal([".git", "b.git", "sub/.GIT"], leftOut);
            Assert.Equal(["sub", "sub/ok.txt"], TreeSnapshot.Describe(safe).Select(l => l.Split(' ')[1]).Order(StringComparer.Ordinal));
            Assert.Empty(none);
            Assert.Equal(TreeSnapshot.Describe(local), TreeSnapshot.Describe(raw));
            await Backend.CheckAsync(name, "rm", "-rf", container);
        }
        finally
        {
            foreach (var folder in new[] { local, local + "-safe", local + "-raw" })
            {
                if (Directory.Exists(folder))
                {
                    Directory.Delete(folder, recursive: true);
                }
            }
        }
    }
}
