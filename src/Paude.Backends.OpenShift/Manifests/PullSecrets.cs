using k8s.Models;

namespace Paude.Backends.OpenShift.Manifests;

/// <summary>The <c>imagePullSecrets</c> of session pods, from <see cref="OpenShiftBackendOptions.ImagePullSecrets"/>.</summary>
internal static class PullSecrets
{
    /// <summary>One reference per configured Secret; null when there are none (the field is then left out, as before).</summary>
    public static List<V1LocalObjectReference>? References(OpenShiftBackendOptions options) =>
        options.ImagePullSecrets.Count == 0 ? null : [.. options.ImagePullSecrets.Distinct(StringComparer.Ordinal).Select(n => new V1LocalObjectReference { Name = n })];
}
