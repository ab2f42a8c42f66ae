using Paude.Backends.OpenShift.Tests.Integration;
using Paude.Errors;
using Paude.Execution;

namespace Paude.Backends.OpenShift.Tests.Images;

/// <summary>
/// <see cref="OpenShiftBackendOptions.ImagePullSecrets"/> against the test server's private registry: with the pull
/// secret the session runs the registry's image (kubectl sees the pods' <c>imagePullSecrets</c> and the Secret's type);
/// without it the pull is refused and creation fails typed.
/// </summary>
[Collection(KubeServerCollection.Name)]
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
    public void A_bad_pull_secret_name_is_listed_with_the_other_problems()
    {
        var options = new OpenShiftBackendOptions { AgentImage = "" };
        options.ImagePullSecrets.Add("Not_A_Name");
        var errors = options.GetErrors();
        Assert.Contains(errors, m => m.StartsWith("ImagePullSecrets: 'Not_A_Name'", StringComparison.Ordinal));
        Assert.Contains(errors, m => m.StartsWith("AgentImage:", StringComparison.Ordinal));
    }
}
