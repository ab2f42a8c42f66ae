using System.Runtime.InteropServices;
using Paude.Errors;

namespace Paude.Cli.Hosting;

/// <summary>
/// Runs an openshift command in a build without that backend (the NativeAOT one, see <see cref="CliFeatures"/>):
/// the process replaces itself (<c>execv</c>) with the managed build of the same CLI, which build.sh publishes into
/// <c>managed/</c> beside the native binary (or <c>PAUDE_CLI_MANAGED</c>), with the same arguments. Replacing
/// instead of starting a child keeps the process id, stdio, terminal, signals and exit code exactly the user's;
/// the environment is inherited as it is.
/// </summary>
internal static partial class ManagedHandoff
{
    /// <summary>Where the managed build is looked for.</summary>
    public static string ManagedPath =>
        Environment.GetEnvironmentVariable("PAUDE_CLI_MANAGED") is { Length: > 0 } path ? path : Path.Combine(AppContext.BaseDirectory, "managed", "paude");

    /// <summary>Replaces this process with the managed build; returns only by throwing.</summary>
    /// <exception cref="BackendUnavailableException">The managed build is missing or cannot be started.</exception>
    public static void Exec(string what, string backend, IReadOnlyList<string> args)
    {
        var path = ManagedPath;
        // Never itself: a build without the backend named by PAUDE_CLI_MANAGED would exec itself forever.
        if (!OperatingSystem.IsLinux() || !File.Exists(path) || Path.GetFullPath(path) == Environment.ProcessPath)
        {
            throw new BackendUnavailableException(backend, "the managed paude build",
                $"this native paude has only the podman backend and no LibGit2Sharp; {what} is handled by the managed build, expected at {path} (publish both with samples/Paude.Cli/build.sh, or set PAUDE_CLI_MANAGED)");
        }

        Console.Out.Flush();
        Console.Error.Flush();
        var argv = new nint[args.Count + 2];
        try
        {
            argv[0] = Marshal.StringToCoTaskMemUTF8(path);
            for (var i = 0; i < args.Count; i++)
            {
                argv[i + 1] = Marshal.StringToCoTaskMemUTF8(args[i]);
            }

            // argv[^1] stays 0: execv's terminator. Only returns on failure.
            _ = Execv(path, argv);
            var errno = Marshal.GetLastPInvokeError();
            throw new BackendUnavailableException(backend, "the managed paude build", $"could not start {path}: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");
        }
        finally
        {
            foreach (var arg in argv)
            {
                Marshal.FreeCoTaskMem(arg);
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "execv", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Execv(string path, [In] nint[] argv);
}
