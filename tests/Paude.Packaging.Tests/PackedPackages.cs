using System.Diagnostics;
using System.Globalization;

namespace Paude.Packaging.Tests;

/// <summary>
/// One <c>scripts/pack.sh</c> per test run, shared by every test of the <see cref="PackedPackagesGroup"/> (packing
/// takes from about a minute to several when it has to compile). The folder lives outside the repository and goes
/// with the run.
/// </summary>
public sealed class PackedPackages : IAsyncLifetime
{
    /// <summary>Every package the repository ships.</summary>
    public static readonly string[] Shipped =
        ["Paude.Abstractions", "Paude.Credentials", "Paude.Backends.Podman", "Paude.Backends.OpenShift", "Paude.Sync", "Paude.Testing", "Paude.Testing.Conformance"];

    /// <summary>A temp folder outside the repository holding <see cref="Folder"/> and the consumers' own folders.</summary>
    public string Root { get; } = Directory.CreateTempSubdirectory("paude-consumer-").FullName;

    /// <summary>The packed .nupkg/.snupkg files.</summary>
    public string Folder => Path.Combine(Root, "packages");

    /// <summary>The consumers' shared global packages folder (a repack with the same version is never shadowed).</summary>
    public string GlobalPackages => Path.Combine(Root, "global-packages");

    /// <summary>How long the pack took.</summary>
    public TimeSpan PackTime { get; private set; }

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        Assert.False(Root.StartsWith(RepositoryRoot.Path, StringComparison.Ordinal), "the consumers must live outside the repository");
        var clock = Stopwatch.StartNew();
        var outcome = await ConsumerProcess.RunAsync("bash", [Path.Combine(RepositoryRoot.Path, "scripts", "pack.sh"), Folder], RepositoryRoot.Path, TimeSpan.FromMinutes(15));
        PackTime = clock.Elapsed;
        Assert.True(outcome.ExitCode == 0, string.Create(CultureInfo.InvariantCulture, $"pack failed (exit {outcome.ExitCode}):\n{outcome.StandardError}\n{outcome.StandardOutput}"));
        foreach (var shipped in Shipped)
        {
            // <id>.<version>.nupkg with the version starting with a digit: Paude.Sync.1… but not Paude.Sync.Other.1…
            Assert.Single(Directory.GetFiles(Folder, shipped + ".*.nupkg"), f => char.IsAsciiDigit(Path.GetFileName(f)[shipped.Length + 1]));
            Assert.Single(Directory.GetFiles(Folder, shipped + ".*.snupkg"), f => char.IsAsciiDigit(Path.GetFileName(f)[shipped.Length + 1]));
        }
    }

    /// <inheritdoc />
    public Task DisposeAsync()
    {
        Directory.Delete(Root, recursive: true);
        return Task.CompletedTask;
    }
}

/// <summary>The tests that consume the packed packages: one pack for all of them.</summary>
[CollectionDefinition(Name)]
public sealed class PackedPackagesGroup : ICollectionFixture<PackedPackages>
{
    /// <summary>The collection's name.</summary>
    public const string Name = "packed packages";
}
