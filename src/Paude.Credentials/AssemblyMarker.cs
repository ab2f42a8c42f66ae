namespace Paude;

/// <summary>Marks the Paude.Credentials assembly.</summary>
internal static class AssemblyMarker
{
}
