using Paude.Execution;

namespace Paude.Backends.OpenShift.Exec;

/// <summary>
/// Builds the argument vector sent to the exec API. Kubernetes exec has no working directory or environment of its
/// own, so small fixed wrappers provide them; user values only ever travel as separate arguments, never inside a
/// shell string.
/// </summary>
internal static class ExecCommand
{
    /// <summary>
    /// Decodes stdin sent in frames <c>&lt;length&gt;\n&lt;bytes&gt;</c> ending with <c>0\n</c> and pipes it into the
    /// command (v4 servers cannot close stdin). bash's <c>read</c> consumes a pipe byte by byte and GNU
    /// <c>head -c</c> reads exactly the count asked for, so frames never over-read (<c>Exec/Scripts/unframe-stdin.sh</c>).
    /// </summary>
    public static readonly string Frame = Paude.Scripting.SessionScript.Load("unframe-stdin.sh");

    /// <summary>Enters <c>$1</c>, then execs the rest (<c>Exec/Scripts/change-directory.sh</c>).</summary>
    public static readonly string ChangeDirectory = Paude.Scripting.SessionScript.Load("change-directory.sh");

    public static IReadOnlyList<string> Build(ProcessSpec spec, bool framedStdin)
    {
        var argv = new List<string>(spec.Command);
        if (spec.Environment is { Count: > 0 } env)
        {
            var prefix = new List<string> { "env", "--" };
            prefix.AddRange(env.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => $"{e.Key}={e.Value}"));
            argv.InsertRange(0, prefix);
        }

        if (spec.WorkingDirectory is { } cwd)
        {
            argv.InsertRange(0, ["/bin/sh", "-c", ChangeDirectory, "paude-cd", cwd]);
        }

        if (framedStdin)
        {
            argv.InsertRange(0, ["/bin/bash", "-c", Frame, "paude-unframe"]);
        }

        return argv;
    }
}
