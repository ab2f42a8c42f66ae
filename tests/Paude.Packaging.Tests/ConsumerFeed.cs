using System.Security;

namespace Paude.Packaging.Tests;

/// <summary>
/// The consumer's nuget.config, as a user with a local package folder would have it: Paude.* come only from that
/// folder (package source mapping, so no registry is asked for them); everything else from the public registry.
/// The consumer gets its own global packages folder so that a repack with the same version is never shadowed by an
/// older extraction; the machine's global folder is a read-only fallback, so third-party packages the repository
/// already restored are not fetched again (the test makes no registry traffic on a machine that built the solution).
/// </summary>
internal static class ConsumerFeed
{
    public static void Write(string root, string packages, string globalPackages)
    {
        var machineFolder = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } set
            ? set
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        File.WriteAllText(Path.Combine(root, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <config>
                <add key="globalPackagesFolder" value="{SecurityElement.Escape(globalPackages)}" />
              </config>
              <fallbackPackageFolders>
                <clear />
                <add key="machine" value="{SecurityElement.Escape(machineFolder)}" />
              </fallbackPackageFolders>
              <packageSources>
                <clear />
                <add key="local" value="{SecurityElement.Escape(packages)}" />
                <add key="nuget.org" value="https://api.nuget.org/v3/index.json" protocolVersion="3" />
              </packageSources>
              <packageSourceMapping>
                <packageSource key="local">
                  <package pattern="Paude.*" />
                </packageSource>
                <packageSource key="nuget.org">
                  <package pattern="*" />
                </packageSource>
              </packageSourceMapping>
            </configuration>
            """);
    }
}
