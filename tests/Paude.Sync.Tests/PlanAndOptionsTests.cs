using Paude.Errors;
using Paude.Sync;
using Paude.Sync.Files;

namespace Paude.Tests;

/// <summary>The pure parts: per-file three-way decisions, path rules and option validation.</summary>
public sealed class PlanAndOptionsTests
{
    private static Dictionary<string, string> D(params (string Path, string Hash)[] entries) => entries.ToDictionary(e => e.Path, e => e.Hash, StringComparer.Ordinal);

    [Fact]
    public void Three_way_plan_takes_one_sided_changes_reports_two_sided_ones_and_propagates_deletions_only_with_a_base()
    {
        var baseFiles = D(("same", "1"), ("local-edit", "1"), ("session-edit", "1"), ("both", "1"), ("session-deleted", "1"));
        var local = D(("same", "1"), ("local-edit", "2"), ("session-edit", "1"), ("both", "2"), ("session-deleted", "1"), ("local-new", "9"));
        var session = D(("same", "1"), ("local-edit", "1"), ("session-edit", "3"), ("both", "3"), ("session-new", "7"));

        var pull = FilePlan.Create(local, session, baseFiles, SyncDirection.FromSession, overwrite: false);

        Assert.Equal(["session-edit", "session-new"], pull.Writes);
        Assert.Equal(["session-deleted"], pull.Deletes);
        Assert.Equal(["both"], pull.Conflicts);
        Assert.Equal("1", pull.NewBase["both"]);

        var first = FilePlan.Create(local, session, null, SyncDirection.ToSession, overwrite: false);
        Assert.Empty(first.Deletes);
        Assert.Contains("local-new", first.Writes);
    }

    [Fact]
    public void Overwrite_plan_lists_target_changes_at_risk()
    {
        var plan = FilePlan.Create(D(("a", "local")), D(("a", "session")), D(("a", "base")), SyncDirection.FromSession, overwrite: true);
        Assert.Equal(["a"], plan.AtRisk);
        Assert.Equal(["a"], plan.Writes);
    }

    [Theory]
    [InlineData("node_modules/x.js", true)]
    [InlineData("src/bin/Debug/a.dll", true)]
    [InlineData("a/b.pyc", true)]
    [InlineData("docs/generated/x.md", true)]
    [InlineData("src/main.cs", false)]
    [InlineData("x/.paude-staging-abc/f", true)]
    public void Path_rules_apply_default_and_user_excludes(string path, bool excluded) =>
        Assert.Equal(excluded, new PathRules(["docs/generated"]).IsExcluded(path));

    [Theory]
    [InlineData("../x", false)]
    [InlineData("/etc/passwd", false)]
    [InlineData("a/./b", false)]
    [InlineData("a//b", false)]
    [InlineData("a\nb", false)]
    [InlineData("dir/file name.txt", true)]
    public void Session_paths_must_be_plain_relative_paths(string path, bool safe) => Assert.Equal(safe, PathRules.IsSafeRelative(path));

    [Theory]
    [InlineData(".git/hooks/pre-commit", false, false)]
    [InlineData("sub/.git/config", false, false)]
    [InlineData(".GIT/hooks/x", false, true)]
    [InlineData(".GIT/hooks/x", true, false)]
    [InlineData("Sub/.Git/HEAD", true, false)]
    [InlineData(".github/workflows/ci.yml", true, true)]
    public void Session_paths_never_reach_a_git_folder_as_the_file_system_compares_names(string path, bool ignoreCase, bool safe) =>
        Assert.Equal(safe, PathRules.IsSafeRelative(path, ignoreCase));

    [Theory]
    [InlineData("NODE_MODULES/x.js", true, true)]
    [InlineData("NODE_MODULES/x.js", false, false)]
    [InlineData("Docs/Generated/x.md", true, true)]
    public void Excludes_compare_names_as_the_file_system_does(string path, bool ignoreCase, bool excluded) =>
        Assert.Equal(excluded, new PathRules(["docs/generated"], ignoreCase).IsExcluded(path));

    [Fact]
    public void Invalid_options_report_every_problem_together()
    {
        var ex = Assert.Throws<InvalidOptionsException>(() => new SyncOptions
        {
            BranchPrefix = "../x",
            SessionWorkspace = "relative",
            Excludes = ["../up"],
            Backend = string.Empty,
            LockTimeout = TimeSpan.FromSeconds(-1),
        }.Validate());

        Assert.Equal(5, ex.Errors.Count);
    }

    [Fact]
    public void Listing_records_with_unsafe_paths_are_refused()
    {
        var zeros = new string('0', 64);
        Assert.Equal(("" + zeros, "a/b.txt"), FileSync.ParseHashRecord(zeros + "  a/b.txt"));
        Assert.Throws<UnsafeContentException>(() => FileSync.ParseHashRecord(zeros + "  ../x"));
        Assert.Throws<UnsafeContentException>(() => FileSync.ParseHashRecord("nonsense"));
        Assert.Throws<UnsafeContentException>(() => FileSync.ParseHashRecord(zeros + "  .git/hooks/post-checkout"));
        Assert.Throws<UnsafeContentException>(() => FileSync.ParseHashRecord(zeros + "  .GIT/hooks/post-checkout", ignoreCase: true));
    }
}
