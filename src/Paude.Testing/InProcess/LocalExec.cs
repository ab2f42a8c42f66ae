using Microsoft.Extensions.Logging;
using Paude.Errors;
using Paude.Execution;

namespace Paude.Testing.InProcess;

/// <summary>
/// Exec of an in-process session: real local processes in its folder with its environment — nothing of the test
/// runner's own — tracked in the session so stop can end them. Callers hold the table's lock.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
internal sealed class LocalExec(bool runAgent, ILogger logger)
{
    /// <summary>Starts <paramref name="spec"/> in the session (working directory inside its folder, or its workspace).</summary>
    public ISessionProcess Start(InProcessSession session, ProcessSpec spec)
    {
        var directory = spec.WorkingDirectory is null ? session.Folder.Workspace : session.Folder.Resolve(spec.WorkingDirectory, nameof(spec));
        Log.ProcessStarted(logger, session.Name.Value, spec.Command[0]);
        var processes = session.Processes;
        var process = LocalProcess.Start(spec.Command, directory, Environment(session, spec.Environment), spec.RedirectStandardInput, processes.Remove);
        if (process is LocalProcess local)
        {
            processes.Add(local);
        }

        return process;
    }

    /// <summary>Starts the spec's agent command when the backend runs agents.</summary>
    /// <exception cref="BackendOperationException">The agent command could not be started.</exception>
    public void StartAgent(InProcessSession session)
    {
        if (!runAgent)
        {
            return;
        }

        var command = session.Spec.ResolveAgentCommand();
        if (LocalProcess.Start(command, session.Folder.Workspace, Environment(session, null), redirectStdin: false, _ => { }) is not LocalProcess agent)
        {
            throw new BackendOperationException($"The agent command '{command[0]}' of in-process session '{session.Name.Value}' could not be started.");
        }

        // Nobody reads the agent's output (a container's goes to its log): drain it so a full pipe never blocks it.
        _ = agent.StandardOutput.CopyToAsync(Stream.Null);
        _ = agent.StandardError.CopyToAsync(Stream.Null);
        session.Processes.SetAgent(agent);
    }

    /// <summary>The host's PATH (so programs are found), the session's folders and name, the spec's variables, then the process's own.</summary>
    private static Dictionary<string, string> Environment(InProcessSession session, IReadOnlyDictionary<string, string>? extra)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["PATH"] = System.Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin",
            ["HOME"] = session.Folder.Home,
            ["TMPDIR"] = session.Folder.Temp,
            ["PAUDE_WORKSPACE"] = session.Folder.Workspace,
            ["PAUDE_SESSION"] = session.Name.Value,
        };
        foreach (var (key, value) in session.Spec.Environment)
        {
            environment[key] = value;
        }

        foreach (var (key, value) in extra ?? new Dictionary<string, string>())
        {
            environment[key] = value;
        }

        return environment;
    }
}
