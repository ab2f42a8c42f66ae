namespace Paude.Fuzz;

/// <summary>
/// One parser under fuzz. <see cref="Run"/> feeds it the input and checks its invariants: it returns normally when
/// the parser accepted the input or refused it with one of its documented typed exceptions, and throws (any other
/// exception, or <see cref="InvariantViolationException"/>) when the parser misbehaved.
/// </summary>
public interface IFuzzTarget
{
    /// <summary>The name scripts/fuzz.sh and the corpus folders use.</summary>
    string Name { get; }

    /// <summary>Runs one input; throws on a bug.</summary>
    void Run(byte[] input);
}
