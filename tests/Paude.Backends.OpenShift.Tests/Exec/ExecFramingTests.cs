using System.Diagnostics;
using System.Globalization;
using System.Text;
using Paude.Backends.OpenShift.Exec;
using Paude.Errors;
using Paude.Execution;

namespace Paude.Backends.OpenShift.Tests.Exec;

public sealed class ExecFramingTests
{
    [Fact]
    public void Plain_command_is_sent_verbatim()
    {
        var argv = ExecCommand.Build(new ProcessSpec(["echo", "$(rm -rf /)", "a b"]), framedStdin: false);
        Assert.Equal(["echo", "$(rm -rf /)", "a b"], argv);
    }

    [Fact]
    public void Working_directory_environment_and_framing_wrap_without_pasting_values_into_the_script()
    {
        var spec = new ProcessSpec(["cat"]) { WorkingDirectory = "/tmp/x; rm -rf /", Environment = new Dictionary<string, string> { ["A"] = "1 2" } };
        var argv = ExecCommand.Build(spec, framedStdin: true);
        Assert.Equal(["/bin/bash", "-c", ExecCommand.Frame, "paude-unframe", "/bin/sh", "-c"], argv.Take(6));
        Assert.Equal(["paude-cd", "/tmp/x; rm -rf /", "env", "--", "A=1 2", "cat"], argv.Skip(7));
        Assert.DoesNotContain("rm -rf", argv[6], StringComparison.Ordinal);
    }

    /// <summary>The v4 framing decoder, run by the real bash and GNU head, restores binary stdin exactly and ends it.</summary>
    [Fact]
    public async Task Framing_script_restores_binary_stdin_and_signals_end_of_file()
    {
        var payload = new byte[300_000];
        new Random(42).NextBytes(payload);
        var psi = new ProcessStartInfo("/bin/bash") { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in new[] { "-c", ExecCommand.Frame, "paude-unframe", "sha256sum" })
        {
            psi.ArgumentList.Add(arg);
        }

        using var process = Process.Start(psi)!;
        var stdin = process.StandardInput.BaseStream;
        foreach (var chunk in payload.Chunk(65536))
        {
            await stdin.WriteAsync(Encoding.ASCII.GetBytes(chunk.Length.ToString(CultureInfo.InvariantCulture) + "\n"));
            await stdin.WriteAsync(chunk);
        }

        await stdin.WriteAsync("0\n"u8.ToArray());
        await stdin.FlushAsync();

        // stdin stays open, as on a v4 exec stream: only the end frame may end the command.
        var output = await process.StandardOutput.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(0, process.ExitCode);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(payload)), output.Split(' ')[0]);
    }

    [Theory]
    [InlineData("{\"kind\":\"Status\",\"status\":\"Success\"}", 0)]
    [InlineData("{\"status\":\"Failure\",\"reason\":\"NonZeroExitCode\",\"details\":{\"causes\":[{\"reason\":\"ExitCode\",\"message\":\"42\"}]}}", 42)]
    public void Exit_code_comes_from_the_status(string json, int expected) => Assert.Equal(expected, ExecSession.ParseStatus(json, "pod p"));

    [Fact]
    public void A_failure_status_is_a_typed_error_with_the_server_message()
    {
        var e = Assert.Throws<BackendOperationException>(() => ExecSession.ParseStatus("{\"status\":\"Failure\",\"message\":\"container not found\"}", "pod p"));
        Assert.Contains("container not found", e.Message, StringComparison.Ordinal);
    }
}
