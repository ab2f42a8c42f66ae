namespace Paude.Testing.InProcess;

/// <summary>Options of an in-process backend (<c>services.AddPaude().AddInProcessBackend(...)</c>).</summary>
public sealed class InProcessBackendOptions
{
    /// <summary>
    /// The folder the test owns, absolute: each session gets <c>&lt;RootDirectory&gt;/&lt;session&gt;/</c> with
    /// <c>workspace/</c>, <c>home/</c> and <c>tmp/</c>. Created when missing. Required.
    /// </summary>
    public string RootDirectory { get; set; } = string.Empty;

    /// <summary>
    /// Whether <c>CreateAsync</c> and <c>StartAsync</c> run the spec's agent command as a local process (default
    /// <c>false</c>). Off by default because the agent would run on the host with no sandbox at all: turn it on only
    /// with an agent command written for the test.
    /// </summary>
    public bool RunAgentCommand { get; set; }

    /// <summary>Returns every problem with these options (empty when valid).</summary>
    public IReadOnlyList<string> GetErrors()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(RootDirectory))
        {
            errors.Add("RootDirectory: required (a folder the test owns)");
        }
        else if (!Path.IsPathFullyQualified(RootDirectory))
        {
            errors.Add($"RootDirectory: '{RootDirectory}' is not an absolute path");
        }
        else if (Path.TrimEndingDirectorySeparator(Path.GetFullPath(RootDirectory)) == Path.GetPathRoot(Path.GetFullPath(RootDirectory))?.TrimEnd('/'))
        {
            errors.Add("RootDirectory: must not be the file-system root");
        }

        return errors;
    }
}
