using Paude.Backends.Podman;
using Paude.Backends.Podman.Cli;
using Paude.Errors;

namespace Paude.Tests.Images;

/// <summary>
/// <see cref="PodmanImagePusher"/> with the real podman: a bad request lists every problem and runs nothing; the login
/// travels only in a private temporary auth file (never an argument), which is gone afterwards; a failed push names
/// podman's reason without the password. The push into a real registry is tested end to end in the CLI tests
/// (<c>ImagePushTests</c>, against the Kubernetes test server's registry).
/// </summary>
public sealed class ImagePushTests
{
    private const string Secret = "push-secret-0815-do-not-print";

    [Fact]
    public async Task A_bad_request_lists_every_problem_and_runs_nothing()
    {
        var client = new InspectingClient(new Paude.Backends.Podman.Cli.PodmanCli("podman", "podman"));
        var pusher = new PodmanImagePusher(client, null);
        var request = new ImagePushRequest("-x", "paude-agent:v1") { Username = "a:b", Timeout = TimeSpan.Zero };
        var error = await Assert.ThrowsAsync<InvalidOptionsException>(() => pusher.PushAsync(request));
        foreach (var field in new[] { "Source:", "Destination:", "Username and Password:", "Username:", "Timeout:" })
        {
            Assert.Contains(field, error.Message, StringComparison.Ordinal);
        }

        Assert.Empty(client.Calls);
        Assert.Contains("not a registry host", Assert.Single(new ImagePushRequest("localhost/x", "team/paude-agent").GetErrors()), StringComparison.Ordinal);
        Assert.Empty(new ImagePushRequest("localhost/x", "127.0.0.1:5000/team/paude-agent").GetErrors());
        Assert.Equal("127.0.0.1:5000/team/paude-agent:latest", new ImagePushRequest("localhost/x", "127.0.0.1:5000/team/paude-agent").TaggedDestination);
        Assert.Equal("quay.io/t/a@sha256:ab", new ImagePushResult("quay.io/t/a:v1", "sha256:ab", TimeSpan.Zero).DigestReference);
        Assert.DoesNotContain(Secret, new ImagePushRequest("localhost/x", "quay.io/t/a") { Username = "u", Password = Secret }.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_login_is_only_in_a_private_auth_file_that_is_removed_and_a_failure_does_not_carry_it()
    {
        var client = new InspectingClient(new Paude.Backends.Podman.Cli.PodmanCli("podman", "podman"));
        var pusher = new PodmanImagePusher(client, null);

        // Nothing listens on port 1: podman fails fast with its own reason.
        var request = new ImagePushRequest("localhost/paude-base:ci", "127.0.0.1:1/team/never:v1") { Username = "robot", Password = Secret, TlsVerify = false };
        var error = await Assert.ThrowsAsync<BackendOperationException>(() => pusher.PushAsync(request));
        Assert.Contains("127.0.0.1:1/team/never:v1", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, error.ToString(), StringComparison.Ordinal);

        var push = Assert.Single(client.Calls, c => c[0] == "push");
        Assert.DoesNotContain(push, a => a.Contains(Secret, StringComparison.Ordinal));
        Assert.Contains("--tls-verify=false", push);
        var seen = Assert.Single(client.AuthFiles);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, seen.DirectoryMode);
        Assert.Contains(Convert.ToBase64String("robot:push-secret-0815-do-not-print"u8.ToArray()), seen.Content, StringComparison.Ordinal);
        Assert.Contains("\"127.0.0.1:1\"", seen.Content, StringComparison.Ordinal);
        Assert.False(File.Exists(seen.Path));
        Assert.False(Directory.Exists(Path.GetDirectoryName(seen.Path)));

        // TLS is verified unless switched off; without a login podman's own logins are used (no auth file).
        await Assert.ThrowsAsync<BackendOperationException>(() => pusher.PushAsync(new ImagePushRequest("localhost/paude-base:ci", "127.0.0.1:1/team/never:v2")));
        var second = client.Calls.Where(c => c[0] == "push").Last();
        Assert.Contains("--tls-verify=true", second);
        Assert.DoesNotContain("--authfile", second);

        await Assert.ThrowsAsync<ImageNotFoundException>(() => pusher.PushAsync(new ImagePushRequest("localhost/paude-no-such-image:x", "127.0.0.1:1/team/never:v3")));
    }

    /// <summary>The real client; records every call and, for a push, the auth file as it is while podman runs.</summary>
    private sealed class InspectingClient(IPodmanClient inner) : IPodmanClient
    {
        public List<IReadOnlyList<string>> Calls { get; } = [];

        public List<(string Path, string Content, UnixFileMode DirectoryMode)> AuthFiles { get; } = [];

        public Task<Paude.Backends.Podman.Cli.PodmanResult> RunAsync(IReadOnlyList<string> arguments, Func<Stream, CancellationToken, Task>? writeStdin, CancellationToken cancellationToken)
        {
            Calls.Add([.. arguments]);
            var at = arguments.ToList().IndexOf("--authfile");
            if (at >= 0)
            {
                var path = arguments[at + 1];
                AuthFiles.Add((path, File.ReadAllText(path), File.GetUnixFileMode(Path.GetDirectoryName(path)!)));
            }

            return inner.RunAsync(arguments, writeStdin, cancellationToken);
        }

        public Task<PodmanProcess> StartAsync(IReadOnlyList<string> arguments, bool redirectStdin, CancellationToken cancellationToken) =>
            inner.StartAsync(arguments, redirectStdin, cancellationToken);
    }
}
