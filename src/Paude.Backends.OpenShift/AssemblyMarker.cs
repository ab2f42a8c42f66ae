namespace Paude;

/// <summary>Marks the Paude.Backends.OpenShift assembly.</summary>
internal static class AssemblyMarker
{
}
