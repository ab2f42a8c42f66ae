namespace Paude.Testing.Kubernetes;

/// <summary>The fault rules of a running <see cref="KubernetesTestServer"/>; rules can be added and cleared at any time.</summary>
public sealed class KubernetesFaults
{
    private readonly Lock _gate = new();
    private readonly List<(FaultRule Rule, int[] Hits)> _rules = [];
    private readonly Random _random;
    private int _injected;

    internal KubernetesFaults(int seed) => _random = new Random(seed);

    /// <summary>How many faults have fired since the server started.</summary>
    public int Injected => Volatile.Read(ref _injected);

    /// <summary>Adds a rule.</summary>
    /// <param name="rule">The rule.</param>
    public void Add(FaultRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        if (rule.Probability is < 0 or > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(rule), "Probability must be between 0 and 1.");
        }

        lock (_gate)
        {
            _rules.Add((rule, [0]));
        }
    }

    /// <summary>Removes every rule.</summary>
    public void Clear()
    {
        lock (_gate)
        {
            _rules.Clear();
        }
    }

    /// <summary>The rules that fire for this request (each at most once), in the order added.</summary>
    internal List<FaultRule> Draw(string verb, string resource)
    {
        var fired = new List<FaultRule>();
        lock (_gate)
        {
            foreach (var (rule, hits) in _rules)
            {
                if ((rule.Verb is null || rule.Verb == verb)
                    && (rule.Resource is null || rule.Resource == resource)
                    && (rule.Count is null || hits[0] < rule.Count)
                    && _random.NextDouble() < rule.Probability)
                {
                    hits[0]++;
                    _injected++;
                    fired.Add(rule);
                }
            }
        }

        return fired;
    }
}
