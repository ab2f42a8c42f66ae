using Paude.Errors;
using Paude.Sessions;

namespace Paude.Testing.InProcess;

/// <summary>
/// The folder of one in-process session and the rule for paths handed to the backend: they are host paths and must
/// lie inside the session's folder, reached without a symbolic link on the way (a process of the session could plant
/// one pointing anywhere on the host).
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
internal sealed class SessionFolder(string root, SessionName name)
{
    public string Root { get; } = Path.Combine(root, name.Value);

    public string Workspace => Path.Combine(Root, "workspace");

    public string Home => Path.Combine(Root, "home");

    public string Temp => Path.Combine(Root, "tmp");

    public void Create()
    {
        foreach (var dir in new[] { Root, Workspace, Home, Temp })
        {
            Directory.CreateDirectory(dir);
        }
    }

    /// <summary>Resolves <paramref name="path"/> (absolute, inside the session folder) or throws.</summary>
    /// <exception cref="ArgumentException">The path is relative or outside the session folder.</exception>
    /// <exception cref="UnsafeContentException">A component of the path is a symbolic link.</exception>
    public string Resolve(string path, string parameter)
    {
        ArgumentException.ThrowIfNullOrEmpty(path, parameter);
        if (!Path.IsPathFullyQualified(path))
        {
            throw new ArgumentException($"'{path}' is not an absolute path; an in-process session's paths are host paths inside '{Root}'.", parameter);
        }

        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        if (full != Root && !full.StartsWith(Root + "/", StringComparison.Ordinal))
        {
            throw new ArgumentException($"'{path}' is outside the session folder '{Root}'.", parameter);
        }

        var current = Root;
        foreach (var part in full[Root.Length..].Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            current = Path.Combine(current, part);
            var info = new FileInfo(current);
            if (info.LinkTarget is not null)
            {
                throw new UnsafeContentException(current, "is a symbolic link; the in-process backend never follows one out of the session folder");
            }

            if (!info.Exists && !Directory.Exists(current))
            {
                break;
            }
        }

        return full;
    }

    /// <summary>Deletes the folder; a process of the session may have left folders without write permission.</summary>
    public void Delete()
    {
        if (!Directory.Exists(Root))
        {
            return;
        }

        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (UnauthorizedAccessException)
        {
            foreach (var dir in Directory.EnumerateDirectories(Root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint }))
            {
                File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }

            Directory.Delete(Root, recursive: true);
        }
    }
}
