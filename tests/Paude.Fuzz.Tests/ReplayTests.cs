namespace Paude.Fuzz.Tests;

/// <summary>
/// Every committed seed (Corpus/TARGET/) and every input that once broke a parser (Regressions/TARGET/) goes through
/// the same invariant checks the fuzzer applies, without afl: fast, part of every test run. Read from the source
/// folder so a new regression input needs no rebuild.
/// </summary>
public sealed class ReplayTests
{
    private static readonly string FuzzFolder = Path.Combine(RepositoryRoot.Path, "tests", "Paude.Fuzz");

    public static TheoryData<string, string> Inputs()
    {
        var data = new TheoryData<string, string>();
        foreach (var kind in new[] { "Corpus", "Regressions" })
        {
            var folder = Path.Combine(FuzzFolder, kind);
            foreach (var file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                data.Add(Path.GetFileName(Path.GetDirectoryName(file)!), Path.GetRelativePath(FuzzFolder, file));
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Inputs))]
    public void Input_keeps_the_targets_promises(string target, string file)
    {
        Assert.True(FuzzTargets.TryGet(target, out var fuzzTarget), $"{file} is in a folder that names no fuzz target");
        FuzzHarness.Run(fuzzTarget, File.ReadAllBytes(Path.Combine(FuzzFolder, file)));
    }

    [Fact]
    public void Every_target_has_seeds()
    {
        var missing = FuzzTargets.Names.Where(n => !Directory.EnumerateFiles(Path.Combine(FuzzFolder, "Corpus", n)).Any()).ToList();
        Assert.Empty(missing);
    }
}
