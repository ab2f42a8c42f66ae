using System.Text;
using Paude.Errors;
using Paude.Execution;
using Paude.Sessions;

namespace Paude.Tests.Faults;

/// <summary>
/// Exec starts without a state check up front; podman's own failure exit codes trigger the check afterwards (real
/// Podman): typed errors for stopped/missing sessions, the real exit code when a command itself exits with them.
/// </summary>
public sealed class ExecFailureTests(PodmanFaultFixture fx) : IClassFixture<PodmanFaultFixture>
{
    [Fact]
    public async Task Commands_exiting_with_podmans_failure_codes_in_a_running_session_return_their_exit_code()
    {
        var name = fx.NewName("codes");
        await fx.Backend.CreateAsync(PodmanFaultFixture.Spec(name));
        try
        {
            foreach (var code in new[] { 125, 126, 255 })
            {
                var result = await fx.Backend.ExecAsync(name, ["sh", "-c", "echo out; echo err >&2; exit \"$1\"", "sh", code.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
                Assert.Equal((code, "out\n", "err\n"), (result.ExitCode, result.StandardOutput, result.StandardError));
            }

            var missing = await fx.Backend.ExecAsync(name, ["/no/such/program"]);
            Assert.Equal(127, missing.ExitCode);
        }
        finally
        {
            await fx.Backend.DeleteAsync(name);
        }
    }

    [Fact]
    public async Task Exec_with_stdin_on_a_stopped_session_and_after_delete_throws_the_typed_error()
    {
        var name = fx.NewName("stdin");
        await fx.Backend.CreateAsync(PodmanFaultFixture.Spec(name));
        using var input = new MemoryStream(Encoding.UTF8.GetBytes(new string('x', 1 << 20)));
        Assert.Equal("1048576\n", (await fx.Backend.ExecAsync(name, new ProcessSpec(["wc", "-c"]), input)).StandardOutput);

        await fx.Backend.StopAsync(name);
        input.Position = 0;
        var stopped = await Assert.ThrowsAsync<SessionNotRunningException>(() => fx.Backend.ExecAsync(name, new ProcessSpec(["wc", "-c"]), input));
        Assert.Equal(name.Value, stopped.Name);

        Assert.True(await fx.Backend.DeleteAsync(name));
        input.Position = 0;
        await Assert.ThrowsAsync<SessionNotFoundException>(() => fx.Backend.ExecAsync(name, new ProcessSpec(["wc", "-c"]), input));
        Assert.Empty(await PodmanFaultFixture.LeftoversAsync(name));
    }
}
