using Paude.Sync;
using Paude.Sync.Files;

namespace Paude.SessionHelper.Tests.Continuous.TwoWay;

/// <summary>
/// On a local file system that ignores case (macOS, Windows) <c>.GIT/hooks/pre-commit</c> is
/// <c>.git/hooks/pre-commit</c>: a hostile session's file there would run on the user's next commit. The one-way sync
/// compares <c>.git</c> as the local file system does (<see cref="FileSystemCase"/>); two-way sync must too. This
/// Linux machine has no case-insensitive file system, so the test gives the workspace folder a twin in another case
/// (<c>ws</c> and <c>WS</c>), which is what <see cref="FileSystemCase"/> sees on one; session, helper and sync are real.
/// </summary>
[Collection(PodmanHelperGroup.Name)]
public sealed class TwoWayCaseFoldTests(PodmanHelperFixture fixture) : IDisposable
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(60);
    private readonly TempTree _tree = new();

    public void Dispose() => _tree.Dispose();

    [Fact]
    public async Task A_session_file_under_GIT_in_another_case_is_never_pulled_where_case_is_ignored()
    {
        Directory.CreateDirectory(Path.Combine(_tree.Root, "WS"));
        Assert.True(FileSystemCase.IgnoresCase(_tree.Workspace));
        var ws = await fixture.WorkspaceAsync();
        await fixture.ExecAsync("bash", "-c", "mkdir -p \"$1/.GIT/hooks\" \"$1/.Git\" && printf '#!/bin/sh\\necho owned\\n' > \"$1/.GIT/hooks/pre-commit\" && chmod 755 \"$1/.GIT/hooks/pre-commit\" && echo x > \"$1/.Git/config\" && echo ok > \"$1/ok.txt\"", "bash", ws);

        await using (var sync = await fixture.Continuous.StartTwoWayAsync(fixture.Session, _tree.Workspace, new TwoWaySyncOptions
        {
            SessionWorkspace = ws,
            Backend = "podman",
            HelperBinary = fixture.HelperBinary,
            QuietPeriod = TimeSpan.FromMilliseconds(100),
        }))
        {
            var initial = await sync.FlushAsync().WaitAsync(Within);
            Assert.Null(initial.Error);
            var second = await sync.FlushAsync().WaitAsync(Within);
            Assert.Null(second.Error);
        }

        Assert.Equal("ok\n", await File.ReadAllTextAsync(Path.Combine(_tree.Workspace, "ok.txt")));
        Assert.Equal(["ok.txt"], Directory.EnumerateFileSystemEntries(_tree.Workspace, "*", SearchOption.AllDirectories).Select(p => Path.GetRelativePath(_tree.Workspace, p)));
        Assert.Equal("#!/bin/sh\necho owned\n", await fixture.ExecAsync("cat", ws + "/.GIT/hooks/pre-commit"));
    }
}
