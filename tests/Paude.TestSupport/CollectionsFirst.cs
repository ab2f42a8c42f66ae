using Xunit;
using Xunit.Abstractions;

namespace Paude.TestSupport;

/// <summary>
/// A test collection orderer that starts the named collections first, in the order given, and keeps xUnit's order
/// for the rest (the sort is stable). xUnit 2's default (conservative) scheduling runs as many collections at once
/// as it has threads, in an order of its own: a long collection that came last ran alone at the end of its assembly.
/// A test project derives one (its name goes in its <c>[assembly: TestCollectionOrderer]</c>) and says why its list
/// is what it is. A class without a collection of its own is in "Test collection for &lt;namespace&gt;.&lt;class&gt;",
/// so a name also matches the end of a display name after a dot.
/// </summary>
public abstract class CollectionsFirst(params string[] first) : ITestCollectionOrderer
{
    /// <inheritdoc />
    public IEnumerable<ITestCollection> OrderTestCollections(IEnumerable<ITestCollection> testCollections) =>
        testCollections.OrderBy(c => Rank(c.DisplayName));

    private int Rank(string collection)
    {
        var index = Array.FindIndex(first, name => collection == name || collection.EndsWith("." + name, StringComparison.Ordinal));
        return index < 0 ? first.Length : index;
    }
}
