using System.Diagnostics.CodeAnalysis;

namespace Paude.Fuzz;

/// <summary>A parser accepted or refused an input without crashing, but broke one of its promises.</summary>
public sealed class InvariantViolationException(string message) : Exception(message)
{
    /// <summary>Throws when <paramref name="condition"/> is false.</summary>
    public static void Check([DoesNotReturnIf(false)] bool condition, string promise)
    {
        if (!condition)
        {
            throw new InvariantViolationException(promise);
        }
    }
}
