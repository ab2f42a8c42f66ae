using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Xunit.Abstractions;

namespace Paude.Packaging.Tests;

/// <summary>
/// The packages as a user gets them: <c>scripts/pack.sh</c> packs every package (once, <see cref="PackedPackages"/>), a fresh console project in a temp
/// folder outside the repository (so none of the repository's Directory.Build.props, Directory.Packages.props or
/// project references reach it) adds them with <c>dotnet add package</c> as the package READMEs say, builds once and
/// runs one program that drives a Podman session (create, push, commit inside, sync back, delete) and an OpenShift
/// backend session on Paude.Testing's Kubernetes test server.
/// </summary>
[Collection(PackedPackagesGroup.Name)]
public sealed class ConsumerProjectTests(PackedPackages packed, ITestOutputHelper output)
{
    private static readonly string[] Packages = ["Paude.Backends.Podman", "Paude.Backends.OpenShift", "Paude.Sync", "Paude.Testing"];

    [Fact]
    public async Task A_fresh_project_restores_the_packed_packages_and_runs_sessions_on_both_backends()
    {
        var runId = "pk" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));
        var root = Directory.CreateDirectory(Path.Combine(packed.Root, "consumer-app")).FullName;
        using var repo = await LocalRepo.CreateAsync();
        var clock = Stopwatch.StartNew();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"pack (shared): {packed.PackTime.TotalSeconds:F1} s"));
        try
        {
            ConsumerFeed.Write(root, packed.Folder, packed.GlobalPackages);
            var app = Path.Combine(root, "app");
            await Step("new", "dotnet", ["new", "console", "-o", app, "--framework", "net10.0", "--no-restore"], root, TimeSpan.FromMinutes(2));
            foreach (var package in Packages)
            {
                // What each package README tells a user to type.
                await Step("add " + package, "dotnet", ["add", "package", package, "--prerelease"], app, TimeSpan.FromMinutes(3));
            }

            foreach (var package in (string[])["Microsoft.Extensions.DependencyInjection", "Microsoft.Extensions.Logging"])
            {
                await Step("add " + package, "dotnet", ["add", "package", package, "--version", "10.0.15"], app, TimeSpan.FromMinutes(3));
            }

            File.Copy(Path.Combine(AppContext.BaseDirectory, "ConsumerApp", "Program.cs"), Path.Combine(app, "Program.cs"), overwrite: true);
            await Step("build", "dotnet", ["build", "-c", "Release", "-nologo", "-v", "q"], app, TimeSpan.FromMinutes(5));

            var assets = await File.ReadAllTextAsync(Path.Combine(app, "obj", "project.assets.json"));
            Assert.DoesNotContain("\"type\": \"project\"", assets, StringComparison.Ordinal); // packages only, no project reference

            await repo.CommitAsync("README.md", "hello\n", "first");
            var run = await Step("run", "dotnet", ["run", "--no-build", "-c", "Release", "--", repo.Path, runId], app, TimeSpan.FromMinutes(8));
            Assert.Contains($"podman: deleted True", run, StringComparison.Ordinal);
            Assert.Contains($"openshift: exec said 'hello from ", run, StringComparison.Ordinal);
            Assert.Contains($"openshift: deleted True", run, StringComparison.Ordinal);

            // The commit made inside the Podman session is on the local branch, the current branch untouched.
            Assert.Equal("work from the session", await repo.GitAsync("log", "-1", "--format=%s", $"paude/{runId}-podman"));
            Assert.Equal("from-session", (await repo.GitAsync("show", $"paude/{runId}-podman:session.txt")).Trim());
            Assert.Equal("first", await repo.GitAsync("log", "-1", "--format=%s", "main"));
            Assert.Empty(await Podman.LinesAsync("ps", "-a", "--filter", $"label=paude.test={runId}", "--format", "{{.Names}}"));
        }
        finally
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"total {clock.Elapsed.TotalSeconds:F1} s"));
            await RemoveLeftoversAsync(runId);
            Directory.Delete(root, recursive: true);
        }
    }

    private async Task<string> Step(string what, string program, string[] args, string directory, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        var outcome = await ConsumerProcess.RunAsync(program, args, directory, timeout);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{what}: {clock.Elapsed.TotalSeconds:F1} s, exit {outcome.ExitCode}"));
        if (outcome.ExitCode != 0)
        {
            output.WriteLine(outcome.StandardOutput);
            output.WriteLine(outcome.StandardError);
        }

        Assert.True(outcome.ExitCode == 0, $"{what} failed (exit {outcome.ExitCode}):\n{outcome.StandardError}\n{outcome.StandardOutput}");
        return outcome.StandardOutput;
    }

    private static async Task RemoveLeftoversAsync(string runId)
    {
        var filter = $"label=paude.test={runId}";
        foreach (var container in await Podman.LinesAsync("ps", "-a", "--filter", filter, "--format", "{{.Names}}"))
        {
            await Podman.RunAsync(["rm", "-f", "-t", "0", container]);
        }

        foreach (var volume in await Podman.LinesAsync("volume", "ls", "--filter", filter, "--format", "{{.Name}}"))
        {
            await Podman.RunAsync(["volume", "rm", "-f", volume]);
        }

        foreach (var network in await Podman.LinesAsync("network", "ls", "--filter", filter, "--format", "{{.Name}}"))
        {
            await Podman.RunAsync(["network", "rm", "-f", network]);
        }
    }
}
