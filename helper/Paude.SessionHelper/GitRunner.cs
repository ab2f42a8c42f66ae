using System.Diagnostics;
using Paude.SessionHelper.Files;
using Paude.SessionHelper.Protocol;

namespace Paude.SessionHelper;

/// <summary>
/// Git: runs <c>git -C &lt;root&gt; args…</c> (no shell, no prompt, stdin empty), streams stdout as Data frames up to the
/// host's cap, then GitEnd with the exit code, a truncated flag and stderr (bounded).
/// </summary>
internal static class GitRunner
{
    public static void Run(Workspace workspace, FrameIO io, uint id, IReadOnlyList<string> args, long maxStdout)
    {
        var psi = new ProcessStartInfo("git")
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        psi.ArgumentList.Add("-C");
        psi.ArgumentList.Add(workspace.RootPath);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["GIT_TERMINAL_PROMPT"] = "0";
        using var process = Process.Start(psi) ?? throw new HelperException(ErrorCode.IoError, "git did not start");
        process.StandardInput.Close();
        var stderrTask = Task.Run(() => ReadBounded(process.StandardError.BaseStream, Limits.MaxGitStderr));
        var buffer = new byte[Limits.ChunkSize];
        long total = 0;
        bool truncated = false;
        var stdout = process.StandardOutput.BaseStream;
        for (int n; (n = stdout.Read(buffer)) > 0;)
        {
            if (truncated) continue; // drain so git can exit
            int keep = (int)Math.Min(n, maxStdout - total);
            if (keep > 0) io.Write(MessageType.Data, id, buffer.AsSpan(0, keep));
            total += keep;
            if (keep < n) truncated = true;
        }
        process.WaitForExit();
        var w = new PayloadWriter();
        w.U32(unchecked((uint)process.ExitCode));
        w.U8(truncated ? (byte)1 : (byte)0);
        w.Blob(stderrTask.GetAwaiter().GetResult());
        io.Write(MessageType.GitEnd, id, w);
    }

    private static byte[] ReadBounded(Stream s, int max)
    {
        var ms = new MemoryStream();
        var buf = new byte[8192];
        for (int n; (n = s.Read(buf)) > 0;)
            if (ms.Length < max) ms.Write(buf, 0, (int)Math.Min(n, max - ms.Length));
        return ms.ToArray();
    }
}
