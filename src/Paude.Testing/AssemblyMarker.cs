namespace Paude;

/// <summary>Marks the Paude.Testing assembly.</summary>
internal static class AssemblyMarker
{
}
