namespace Paude.Testing.Kubernetes;

/// <summary>
/// A private registry the test server plays (<see cref="KubernetesTestServerOptions.PrivateRegistry"/>): a pod image
/// <c>&lt;Host&gt;/&lt;path&gt;</c> runs the local image <c>localhost/&lt;path&gt;</c>, but only for a pod whose
/// <c>imagePullSecrets</c> name a <c>kubernetes.io/dockerconfigjson</c> Secret holding these credentials for
/// <paramref name="Host"/>; any other pod gets <c>ErrImagePull</c> (unauthorized), as from a real private registry.
/// The server also serves a real registry with this login at <see cref="KubernetesTestServer.RegistryAddress"/>
/// (push with <c>podman push</c>; pods naming that address pull from it with their pull secrets).
/// </summary>
/// <param name="Host">The registry host (and port), e.g. <c>registry.paude.test:5000</c>.</param>
/// <param name="Username">The user a pull secret must name.</param>
/// <param name="Password">The password a pull secret must hold.</param>
public sealed record TestRegistry(string Host, string Username, string Password)
{
    /// <summary>Hides the password (records print every member).</summary>
    /// <returns>The host and user.</returns>
    public override string ToString() => $"TestRegistry {{ Host = {Host}, Username = {Username} }}";
}
