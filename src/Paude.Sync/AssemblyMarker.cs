namespace Paude;

/// <summary>Marks the Paude.Sync assembly.</summary>
internal static class AssemblyMarker
{
}
