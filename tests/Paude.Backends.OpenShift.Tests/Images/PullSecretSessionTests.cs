using Microsoft.Extensions.Logging;
using Paude.Backends.OpenShift.Tests.Infrastructure;
using Paude.Errors;
using Paude.Execution;

namespace Paude.Backends.OpenShift.Tests.Images;

/// <summary>
/// <see cref="OpenShiftBackendOptions.ImagePullSecrets"/> against the test server's private registry: with the pull
/// secret the session runs the registry's image (kubectl sees the pods' <c>imagePullSecrets</c> and the Secret's type);
/// without it the pull is refused and creation fails typed.
/// </summary>
[Collection(KubeServerCollectionB.Name)]
public sealed class PullSecretSessionTests(KubeServerFixture fixture)
{
    [Fact]
    public async Task A_session_pulls_from_a_private_registry_only_with_the_pull_secret()
    {
        var secret = $"{fixture.RunId}-regcred";
        await fixture.KubectlAsync("create", "secret", "docker-registry", secret, "--docker-server", fixture.Registry.Host,
            "--docker-username", fixture.Registry.Username, "--docker-password", fixture.Registry.Password);
        Assert.Equal("kubernetes.io/dockerconfigjson", (await fixture.KubectlAsync("get", "secret", secret, "-o", "jsonpath={.type}")).Trim());
        var image = $"{fixture.Registry.Host}/{KubeServerFixture.AgentImage["localhost/".Length..]}";

        var withSecret = fixture.BuildBackend(o =>
        {
            o.AgentImage = image;
            o.ImagePullSecrets.Add(secret);
        });
        var name = fixture.NewName("pull");
        try
        {
            await withSecret.CreateAsync(fixture.Spec(name));
            await using (var process = await withSecret.StartProcessAsync(name, new ProcessSpec(["echo", "pulled"])))
            {
                var stdout = new StreamReader(process.StandardOutput).ReadToEndAsync();
                Assert.Equal(0, await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1)));
                Assert.Equal("pulled\n", await stdout);
            }

            Assert.Equal(image, (await fixture.KubectlAsync("get", "pod", $"paude-{name}-0", "-o", "jsonpath={.spec.containers[0].image}")).Trim());
            Assert.Equal(secret, (await fixture.KubectlAsync("get", "pod", $"paude-{name}-0", "-o", "jsonpath={.spec.imagePullSecrets[*].name}")).Trim());
            Assert.Equal(secret, (await fixture.KubectlAsync("get", "deployment", $"proxy-paude-{name}", "-o", "jsonpath={.spec.template.spec.imagePullSecrets[*].name}")).Trim());
        }
        finally
        {
            await withSecret.DeleteAsync(name);
        }

        var without = fixture.BuildBackend(o =>
        {
            o.AgentImage = image;
            o.ReadyTimeout = TimeSpan.FromSeconds(40);
        });
        var refused = fixture.NewName("nopull");
        try
        {
            var e = await Assert.ThrowsAsync<ImageNotFoundException>(() => without.CreateAsync(fixture.Spec(refused)));
            Assert.Contains("unauthorized", e.Message, StringComparison.Ordinal);
            Assert.DoesNotContain(fixture.Registry.Password, e.Message, StringComparison.Ordinal);
        }
        finally
        {
            await without.DeleteAsync(refused);
        }
    }

    [Fact]
    public async Task A_pull_secret_made_from_a_registry_login_serves_the_sessions_that_name_it_and_its_content_stays_in_the_secret()
    {
        var logs = new CapturingLoggerProvider();
        using var loggers = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Trace));
        var options = new OpenShiftBackendOptions { KubeconfigPath = fixture.Server.KubeconfigPath, Namespace = KubeServerFixture.Namespace };
        using var secrets = OpenShiftPullSecrets.Create(options, loggers.CreateLogger("pull-secrets"));
        var secret = $"{fixture.RunId}-made";
        var login = new RegistryCredential(fixture.Registry.Host, fixture.Registry.Username, fixture.Registry.Password);
        Assert.True(await secrets.CreateOrReplaceAsync(secret, login));
        Assert.False(await secrets.CreateOrReplaceAsync(secret, login)); // ours: replaced (a rotated password)
        Assert.Equal("kubernetes.io/dockerconfigjson", (await fixture.KubectlAsync("get", "secret", secret, "-o", "jsonpath={.type}")).Trim());

        // A Secret of that name someone else made is never overwritten, and the refusal does not carry the password.
        var foreign = $"{fixture.RunId}-foreign";
        await fixture.KubectlAsync("create", "secret", "generic", foreign, "--from-literal", "k=v");
        var refused = await Assert.ThrowsAsync<InvalidOptionsException>(() => secrets.CreateOrReplaceAsync(foreign, login));
        Assert.Contains("was not made by paude", refused.Message, StringComparison.Ordinal);
        Assert.Equal("v", System.Text.Encoding.UTF8.GetString(Convert.FromBase64String((await fixture.KubectlAsync("get", "secret", foreign, "-o", "jsonpath={.data.k}")).Trim())));
        var invalid = await Assert.ThrowsAsync<InvalidOptionsException>(() => secrets.CreateOrReplaceAsync("Bad_Name", login with { Server = "https://x/y" }));
        Assert.Equal(2, invalid.Errors.Count);

        // The session names the Secret in its spec (the backend has none configured): it pulls; without it, refused.
        var image = $"{fixture.Registry.Host}/{KubeServerFixture.AgentImage["localhost/".Length..]}";
        var backend = fixture.BuildBackend(o =>
        {
            o.AgentImage = image;
            o.ReadyTimeout = TimeSpan.FromSeconds(40);
        });
        var name = fixture.NewName("specpull");
        var without = fixture.NewName("specnopull");
        var messages = new List<string> { refused.ToString(), invalid.ToString(), login.ToString() };
        try
        {
            await backend.CreateAsync(fixture.Spec(name) with { ImagePullSecrets = [secret] });
            Assert.Equal(secret, (await fixture.KubectlAsync("get", "pod", $"paude-{name}-0", "-o", "jsonpath={.spec.imagePullSecrets[*].name}")).Trim());
            Assert.Equal(image, (await fixture.KubectlAsync("get", "pod", $"paude-{name}-0", "-o", "jsonpath={.spec.containers[0].image}")).Trim());

            var e = await Assert.ThrowsAsync<ImageNotFoundException>(() => backend.CreateAsync(fixture.Spec(without)));
            Assert.Contains("unauthorized", e.Message, StringComparison.Ordinal);
            messages.Add(e.ToString());

            // Only the Secret holds the login: not the logs, an exception, a ConfigMap or the session's record.
            messages.Add(await fixture.KubectlAsync("get", "configmap,statefulset,deployment", "-o", "yaml"));
            messages.Add(await fixture.KubectlAsync("describe", "secret", secret));
            messages.Add(logs.AllText);
            Assert.Contains(secret, logs.AllText, StringComparison.Ordinal);
            var auth = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{login.Username}:{login.Password}"));
            foreach (var text in messages)
            {
                Assert.DoesNotContain(login.Password, text, StringComparison.Ordinal);
                Assert.DoesNotContain(auth, text, StringComparison.Ordinal);
            }
        }
        finally
        {
            await backend.DeleteAsync(name);
            await backend.DeleteAsync(without);
            await fixture.KubectlAsync("delete", "secret", secret, foreign);
        }
    }

    [Fact]
    public void A_bad_pull_secret_name_is_listed_with_the_other_problems()
    {
        var options = new OpenShiftBackendOptions { AgentImage = "" };
        options.ImagePullSecrets.Add("Not_A_Name");
        var errors = options.GetErrors();
        Assert.Contains(errors, m => m.StartsWith("ImagePullSecrets: 'Not_A_Name'", StringComparison.Ordinal));
        Assert.Contains(errors, m => m.StartsWith("AgentImage:", StringComparison.Ordinal));
    }
}
