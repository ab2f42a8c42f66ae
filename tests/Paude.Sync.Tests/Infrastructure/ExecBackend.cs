using System.Diagnostics;
using Paude.Egress;
using Paude.Execution;
using Paude.Sessions;

namespace Paude.Tests.Infrastructure;

/// <summary>
/// The exec and file channel of real Podman containers (<c>podman exec -i</c>), for the sync tests while the
/// Podman backend is being written: Paude.Sync only uses <see cref="ISessionBackend.StartProcessAsync"/> and
/// <see cref="ISessionBackend.UploadAsync"/>, so this is the whole surface the engine touches. Session name
/// <c>n</c> maps to container <c>&lt;prefix&gt;n</c>. Lifecycle members are not used by the sync and throw.
/// </summary>
internal sealed class ExecBackend(string containerPrefix) : ISessionBackend
{
    public string Name => "podman-exec";

    public int ExecCount;

    public Task<ISessionProcess> StartProcessAsync(SessionName name, ProcessSpec spec, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Interlocked.Increment(ref ExecCount);
        var info = new ProcessStartInfo("podman") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add("exec");
        if (spec.RedirectStandardInput)
        {
            info.ArgumentList.Add("-i");
        }

        if (spec.WorkingDirectory is not null)
        {
            info.ArgumentList.Add("-w");
            info.ArgumentList.Add(spec.WorkingDirectory);
        }

        info.ArgumentList.Add(containerPrefix + name.Value);
        foreach (var a in spec.Command)
        {
            info.ArgumentList.Add(a);
        }

        var process = Process.Start(info)!;
        if (!spec.RedirectStandardInput)
        {
            process.StandardInput.Close();
        }

        return Task.FromResult<ISessionProcess>(new Proc(process));
    }

    public async Task UploadAsync(SessionName name, string containerDirectory, Stream tarArchive, CancellationToken cancellationToken = default)
    {
        var p = await StartProcessAsync(name, new ProcessSpec(["sh", "-c", "mkdir -p -- \"$1\" && exec tar -C \"$1\" -xf -", "sh", containerDirectory]) { RedirectStandardInput = true }, cancellationToken);
        await using (p)
        {
            var err = new StreamReader(p.StandardError).ReadToEndAsync(cancellationToken);
            await tarArchive.CopyToAsync(p.StandardInput, cancellationToken);
            await p.StandardInput.DisposeAsync();
            var exit = await p.WaitForExitAsync(cancellationToken);
            if (exit != 0)
            {
                throw new Errors.BackendOperationException($"upload failed: {await err}");
            }
        }
    }

    public async Task DownloadAsync(SessionName name, string containerDirectory, Func<Stream, CancellationToken, Task> readArchive, CancellationToken cancellationToken = default)
    {
        var p = await StartProcessAsync(name, new ProcessSpec(["tar", "-C", containerDirectory, "-cf", "-", "."]), cancellationToken);
        await using (p)
        {
            await readArchive(p.StandardOutput, cancellationToken);
            await p.WaitForExitAsync(cancellationToken);
        }
    }

    public Task<SessionInfo> CreateAsync(SessionSpec spec, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task<SessionInfo> StartAsync(SessionName name, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task<SessionInfo> StopAsync(SessionName name, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task<bool> DeleteAsync(SessionName name, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task<SessionInfo?> GetAsync(SessionName name, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public IAsyncEnumerable<SessionInfo> ListAsync(CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task<EgressPolicy> GetEgressPolicyAsync(SessionName name, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task SetEgressPolicyAsync(SessionName name, EgressPolicy policy, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public IAsyncEnumerable<BlockedRequest> GetBlockedRequestsAsync(SessionName name, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task<int> AttachAsync(SessionName name, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    private sealed class Proc(Process process) : ISessionProcess
    {
        public Stream StandardInput => process.StandardInput.BaseStream;

        public Stream StandardOutput => process.StandardOutput.BaseStream;

        public Stream StandardError => process.StandardError.BaseStream;

        public async Task<int> WaitForExitAsync(CancellationToken cancellationToken = default)
        {
            await process.WaitForExitAsync(cancellationToken);
            return process.ExitCode;
        }

        public ValueTask DisposeAsync()
        {
            try
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                }
            }
            catch (InvalidOperationException)
            {
            }

            process.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
