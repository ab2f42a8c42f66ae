namespace Paude.TestServer;

/// <summary>The command line of <c>paude-test-server</c>; every problem is collected, none stops the parse early.</summary>
internal sealed record TestServerArguments
{
    public const string Usage = """
        usage: paude-test-server [--namespace NAME] [--kubernetes] [--label KEY=VALUE]... [--registry USER]
          --namespace NAME   namespace made at start and set in the kubeconfig (default: paude)
          --kubernetes       plain Kubernetes admission (default: OpenShift restricted-v2, as the backend expects)
          --label KEY=VALUE  extra label on every Podman resource the server makes (repeatable)
          --registry USER    also serve a private registry on 127.0.0.1 (login USER, a random password printed at
                             start) for 'paude image push' and pods with a pull secret
        Runs until Ctrl+C (SIGINT) or SIGTERM, then removes everything it started.
        """;

    public string Namespace { get; private init; } = "paude";

    public bool OpenShiftRestricted { get; private init; } = true;

    public Dictionary<string, string> Labels { get; } = new(StringComparer.Ordinal);

    public bool Help { get; private init; }

    /// <summary>The login of the registry to serve, or null for none.</summary>
    public string? RegistryUser { get; private init; }

    public List<string> Errors { get; } = [];

    public static TestServerArguments Parse(IReadOnlyList<string> args)
    {
        var ns = "paude";
        var restricted = true;
        var help = false;
        string? registryUser = null;
        var labels = new List<string>();
        var errors = new List<string>();
        for (var i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--namespace" or "-n" when i + 1 < args.Count:
                    ns = args[++i];
                    break;
                case "--label" when i + 1 < args.Count:
                    labels.Add(args[++i]);
                    break;
                case "--registry" when i + 1 < args.Count:
                    registryUser = args[++i];
                    break;
                case "--kubernetes":
                    restricted = false;
                    break;
                case "--help" or "-h":
                    help = true;
                    break;
                default:
                    errors.Add($"unknown or incomplete argument '{args[i]}'");
                    break;
            }
        }

        var result = new TestServerArguments { Namespace = ns, OpenShiftRestricted = restricted, Help = help, RegistryUser = registryUser };
        result.Errors.AddRange(errors);
        if (ns.Length is 0 or > 63 || !ns.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-') || ns[0] == '-' || ns[^1] == '-')
        {
            result.Errors.Add($"namespace '{ns}' is not a DNS-1123 label");
        }

        if (registryUser is not null && (registryUser.Length == 0 || registryUser.Contains(':', StringComparison.Ordinal) || registryUser.Any(c => char.IsWhiteSpace(c) || char.IsControl(c))))
        {
            result.Errors.Add($"registry user '{registryUser}' must not be empty or contain ':' or whitespace");
        }

        foreach (var label in labels)
        {
            var eq = label.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                result.Errors.Add($"label '{label}' is not KEY=VALUE");
            }
            else
            {
                result.Labels[label[..eq]] = label[(eq + 1)..];
            }
        }

        return result;
    }
}
