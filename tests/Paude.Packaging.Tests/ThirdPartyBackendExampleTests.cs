using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace Paude.Packaging.Tests;

/// <summary>
/// <c>examples/ThirdPartyBackend</c> (outside the solution) as its author would run it: copied out of the repository,
/// its own nuget.config pointing at the shared pack, <c>dotnet add package Paude.Testing.Conformance</c> as the package
/// README says, then <c>dotnet test</c> — the shipped conformance suite against a backend that is not Paude's.
/// </summary>
[Collection(PackedPackagesGroup.Name)]
public sealed partial class ThirdPartyBackendExampleTests(PackedPackages packed, ITestOutputHelper output)
{
    [Fact]
    public async Task The_example_backend_restores_the_packed_suite_and_passes_what_it_declares()
    {
        var example = Path.Combine(packed.Root, "third-party");
        SourceTree.CopyWithoutBuildOutput(Path.Combine(RepositoryRoot.Path, "examples", "ThirdPartyBackend"), example);
        ConsumerFeed.Write(example, packed.Folder, packed.GlobalPackages); // replaces the example's in-repo feed
        var backend = Path.Combine(example, "src", "Example.Backend");
        var tests = Path.Combine(example, "tests", "Example.Backend.Tests");
        var clock = Stopwatch.StartNew();
        try
        {
            await Step("add Paude.Abstractions", ["add", "package", "Paude.Abstractions", "--prerelease"], backend);
            await Step("add Paude.Testing.Conformance", ["add", "package", "Paude.Testing.Conformance", "--prerelease"], tests);
            await Step("add Paude.Testing", ["add", "package", "Paude.Testing", "--prerelease"], tests);

            var run = await Step("test", ["test", "-c", "Release", "-nologo"], tests);

            var summary = Summary().Match(run);
            Assert.True(summary.Success, run);
            Assert.Equal(0, Count(summary, "failed"));
            // Lifecycle, exec, file channel (with git metadata left out of downloads), port forward and the backend's own test pass; the suite's tests of what the
            // example does not declare (proxy, isolation, user, sandbox, limits, upgrade, reported limits) are skipped, not passed.
            Assert.Equal(17, Count(summary, "passed"));
            Assert.Equal(12, Count(summary, "skipped"));
            var assets = await File.ReadAllTextAsync(Path.Combine(tests, "obj", "project.assets.json"));
            Assert.Matches("\"Paude\\.Testing\\.Conformance/[^\"]+\": \\{\\s*\"type\": \"package\"", assets);
        }
        finally
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"example total {clock.Elapsed.TotalSeconds:F1} s (pack shared: {packed.PackTime.TotalSeconds:F1} s)"));
        }
    }

    [GeneratedRegex(@"Failed:\s+(?<failed>\d+), Passed:\s+(?<passed>\d+), Skipped:\s+(?<skipped>\d+)")]
    private static partial Regex Summary();

    private static int Count(Match summary, string group) => int.Parse(summary.Groups[group].Value, CultureInfo.InvariantCulture);

    private async Task<string> Step(string what, string[] args, string directory)
    {
        var clock = Stopwatch.StartNew();
        var outcome = await ConsumerProcess.RunAsync("dotnet", args, directory, TimeSpan.FromMinutes(10));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{what}: {clock.Elapsed.TotalSeconds:F1} s, exit {outcome.ExitCode}"));
        Assert.True(outcome.ExitCode == 0, $"{what} failed (exit {outcome.ExitCode}):\n{outcome.StandardError}\n{outcome.StandardOutput}");
        return outcome.StandardOutput;
    }
}
