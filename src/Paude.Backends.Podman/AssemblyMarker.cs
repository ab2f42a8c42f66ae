namespace Paude;

/// <summary>Marks the Paude.Backends.Podman assembly.</summary>
internal static class AssemblyMarker
{
}
