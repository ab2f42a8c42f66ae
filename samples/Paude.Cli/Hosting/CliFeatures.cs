using System.Diagnostics.CodeAnalysis;

namespace Paude.Cli.Hosting;

/// <summary>
/// What this build of the CLI carries. The NativeAOT build (build.sh) sets <c>Paude.Cli.OpenShiftBackend</c> to false
/// at publish time (a trimming feature switch): the compiler then drops every branch guarded by
/// <see cref="OpenShiftBackend"/>, so no KubernetesClient code is compiled in (its reflection-based YAML/JSON does not
/// work under NativeAOT) and the Podman path stays small. Such a build hands an openshift command over to the managed
/// build published beside it (<see cref="ManagedHandoff"/>). Every other build has the backend.
/// </summary>
internal static class CliFeatures
{
    public const string OpenShiftBackendSwitch = "Paude.Cli.OpenShiftBackend";

    /// <summary>Whether the openshift backend is compiled into this build.</summary>
    [FeatureSwitchDefinition(OpenShiftBackendSwitch)]
    public static bool OpenShiftBackend => !AppContext.TryGetSwitch(OpenShiftBackendSwitch, out var enabled) || enabled;
}
