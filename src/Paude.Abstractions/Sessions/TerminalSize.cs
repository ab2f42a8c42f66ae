namespace Paude.Sessions;

/// <summary>A terminal size in character cells.</summary>
/// <param name="Width">Columns.</param>
/// <param name="Height">Rows.</param>
public readonly record struct TerminalSize(int Width, int Height)
{
    /// <summary>Whether the size is usable (a detached or redirected console reports 0 × 0).</summary>
    public bool IsValid => Width > 0 && Height > 0;
}
