using System.CommandLine;
using System.Globalization;
using Paude.Cli.Output;
using Paude.Sessions;

namespace Paude.Cli.Support;

/// <summary>
/// <c>create</c>'s resource, storage, placement and pull secret options and their mapping onto a
/// <see cref="SessionSpec"/>. Only the syntax is checked here (every malformed value listed together, exit 2); the
/// values are the spec's to validate, with the rest of it.
/// </summary>
internal sealed class ResourceOptions
{
    private readonly Option<string?> _memory = new("--memory") { Description = "Memory limit of the agent: bytes or a quantity (512Mi, 8Gi). Default 4Gi." };
    private readonly Option<string?> _cpus = new("--cpus") { Description = "CPU limit of the agent (e.g. 2, 0.5). Default 2." };
    private readonly Option<int?> _pids = new("--pids") { Description = "Process limit of the agent (Podman; Kubernetes uses the node's). Default 2048." };
    private readonly Option<string?> _memoryRequest = new("--memory-request") { Description = "Memory request (Kubernetes: scheduling; Podman: --memory-reservation, a soft limit)." };
    private readonly Option<string?> _cpuRequest = new("--cpu-request") { Description = "CPU request (Kubernetes: scheduling; Podman: --cpu-shares, CPU weight)." };
    private readonly Option<string?> _gpus = new("--gpus") { Description = "NVIDIA GPUs: a number (Kubernetes nvidia.com/gpu limit; Podman CDI nvidia.com/gpu=0..N-1) or 'all' (Podman only)." };
    private readonly Option<string?> _workspaceSize = new("--workspace-size") { Description = "Size of the workspace volume (e.g. 50Gi). Kubernetes only." };
    private readonly Option<string?> _storageClass = new("--storage-class") { Description = "Storage class of the workspace volume. Kubernetes only." };
    private readonly Option<string[]> _nodeSelector = new("--node-selector") { Description = "Node label KEY=VALUE the session's pods must run on. Repeatable. Kubernetes only." };
    private readonly Option<string[]> _tolerations = new("--toleration") { Description = "A taint to tolerate: KEY[=VALUE][:EFFECT] (no value: any value; no effect: every effect). Repeatable. Kubernetes only." };
    private readonly Option<string[]> _pullSecrets = new("--pull-secret") { Description = "An existing image pull Secret for the session's pods. Repeatable. Kubernetes only." };

    private readonly Option<bool> _clearNodeSelector = new("--clear-node-selector") { Description = "Remove the session's node selector. Kubernetes only." };
    private readonly Option<bool> _clearTolerations = new("--clear-tolerations") { Description = "Remove the session's tolerations. Kubernetes only." };

    public IEnumerable<Option> All => [.. LimitsAndSize, _storageClass, _nodeSelector, _tolerations, _pullSecrets];

    /// <summary>
    /// What <c>upgrade</c> takes of these: the agent's limits, the workspace size and the placement (a claim's storage
    /// class cannot change; pull secrets stay as created), and the two flags that remove a placement.
    /// </summary>
    public IEnumerable<Option> ForUpgrade => [.. LimitsAndSize, _nodeSelector, _tolerations, _clearNodeSelector, _clearTolerations];

    private IEnumerable<Option> LimitsAndSize => [_memory, _cpus, _pids, _memoryRequest, _cpuRequest, _gpus, _workspaceSize];

    /// <summary>The spec with the options given applied (the others keep the spec's defaults).</summary>
    public SessionSpec Apply(ParseResult parse, SessionSpec spec)
    {
        var errors = new List<string>();
        var limits = Limits(parse, spec.Limits, errors);
        var nodeSelector = NodeSelector(parse, errors);
        var tolerations = Tolerations(parse, errors);
        var size = Quantity(parse, _workspaceSize, errors);
        if (errors.Count > 0)
        {
            throw new CliUsageException(string.Join(Environment.NewLine, errors));
        }

        return spec with
        {
            Limits = limits,
            WorkspaceSizeBytes = size is { } s ? (long)s : null,
            StorageClass = parse.GetValue(_storageClass),
            NodeSelector = nodeSelector,
            Tolerations = tolerations,
            ImagePullSecrets = parse.GetValue(_pullSecrets) ?? [],
        };
    }

    /// <summary>
    /// The upgrade with the options given applied: the agent's limits when any limit option is given — the options
    /// given onto <paramref name="current"/> (the limits in force, <see cref="SessionInfo.Limits"/>), so each option
    /// changes only its own part; create's defaults stand in when the backend cannot tell — else kept; the workspace
    /// size; the node selector and tolerations each as a whole when given (parsed as <c>create</c> parses them), empty
    /// with its <c>--clear-…</c> flag, else kept.
    /// </summary>
    public SessionUpgrade Apply(ParseResult parse, SessionUpgrade upgrade, SessionLimits? current)
    {
        var errors = new List<string>();
        var limits = Limits(parse, current ?? SessionLimits.Default, errors);
        var size = Quantity(parse, _workspaceSize, errors);
        var nodeSelector = Placement(parse, _nodeSelector, _clearNodeSelector, errors, NodeSelector);
        var tolerations = Placement(parse, _tolerations, _clearTolerations, errors, Tolerations);
        return errors.Count > 0
            ? throw new CliUsageException(string.Join(Environment.NewLine, errors))
            : upgrade with
            {
                Limits = AnyLimitGiven(parse) ? limits : null,
                WorkspaceSizeBytes = size is { } s ? (long)s : null,
                NodeSelector = nodeSelector,
                Tolerations = tolerations,
            };
    }

    /// <summary>An upgrade's placement value: parsed when its option is given, empty with its clear flag, else null (kept).</summary>
    private static T? Placement<T>(ParseResult parse, Option<string[]> values, Option<bool> clear, List<string> errors, Func<ParseResult, List<string>, T> read)
        where T : class
    {
        if (parse.GetValue(clear))
        {
            if (parse.GetResult(values) is not null)
            {
                errors.Add($"{values.Name} and {clear.Name} cannot be combined: use one of them.");
            }

            return read(parse, []);
        }

        return parse.GetResult(values) is null ? null : read(parse, errors);
    }

    private Dictionary<string, string> NodeSelector(ParseResult parse, List<string> errors)
    {
        var nodeSelector = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in parse.GetValue(_nodeSelector) ?? [])
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                errors.Add($"--node-selector: '{pair}' is not KEY=VALUE");
                continue;
            }

            nodeSelector[pair[..eq]] = pair[(eq + 1)..];
        }

        return nodeSelector;
    }

    private List<SessionToleration> Tolerations(ParseResult parse, List<string> errors)
    {
        var tolerations = new List<SessionToleration>();
        foreach (var text in parse.GetValue(_tolerations) ?? [])
        {
            if (Toleration(text) is { } toleration)
            {
                tolerations.Add(toleration);
            }
            else
            {
                errors.Add($"--toleration: '{text}' is not KEY[=VALUE][:EFFECT]");
            }
        }

        return tolerations;
    }

    /// <summary>Whether the command line gives any of the agent's limit options (the workspace size is not one).</summary>
    public bool AnyLimitGiven(ParseResult parse) => LimitsAndSize.Where(o => o != _workspaceSize).Any(o => parse.GetResult(o) is not null);

    private SessionLimits Limits(ParseResult parse, SessionLimits limits, List<string> errors)
    {
        if (Quantity(parse, _memory, errors) is { } memory)
        {
            limits = limits with { MemoryBytes = (long)memory };
        }

        if (Number(parse, _cpus, errors) is { } cpus)
        {
            limits = limits with { Cpus = cpus };
        }

        if (parse.GetValue(_pids) is { } pids)
        {
            limits = limits with { Pids = pids };
        }

        if (Quantity(parse, _memoryRequest, errors) is { } memoryRequest)
        {
            limits = limits with { MemoryRequestBytes = (long)memoryRequest };
        }

        if (Number(parse, _cpuRequest, errors) is { } cpuRequest)
        {
            limits = limits with { CpuRequest = cpuRequest };
        }

        if (parse.GetValue(_gpus) is { } gpus)
        {
            if (gpus == "all")
            {
                limits = limits with { Gpus = SessionLimits.AllGpus };
            }
            else if (int.TryParse(gpus, NumberStyles.None, CultureInfo.InvariantCulture, out var count))
            {
                limits = limits with { Gpus = count };
            }
            else
            {
                errors.Add($"--gpus: '{gpus}' is not a number or 'all'");
            }
        }

        return limits;
    }

    /// <summary>kubectl's taint syntax: <c>KEY[=VALUE][:EFFECT]</c>; no value tolerates any (Exists).</summary>
    internal static SessionToleration? Toleration(string text)
    {
        var colon = text.LastIndexOf(':');
        var effect = colon < 0 ? null : text[(colon + 1)..];
        var keyValue = colon < 0 ? text : text[..colon];
        var eq = keyValue.IndexOf('=', StringComparison.Ordinal);
        if (keyValue.Length == 0 || eq == 0 || effect is { Length: 0 })
        {
            return null;
        }

        return eq < 0
            ? new SessionToleration(keyValue, "Exists", null, effect)
            : new SessionToleration(keyValue[..eq], "Equal", keyValue[(eq + 1)..], effect);
    }

    /// <summary>Bytes: a plain number or a Kubernetes-style quantity with a binary (Ki…Ti) or decimal (k, M, G, T) suffix.</summary>
    internal static decimal? ParseQuantity(string text)
    {
        (string Suffix, decimal Factor)[] suffixes =
        [
            ("Ki", 1024m), ("Mi", 1024m * 1024), ("Gi", 1024m * 1024 * 1024), ("Ti", 1024m * 1024 * 1024 * 1024),
            ("k", 1e3m), ("K", 1e3m), ("M", 1e6m), ("G", 1e9m), ("T", 1e12m),
        ];
        var (number, factor) = suffixes.FirstOrDefault(s => text.EndsWith(s.Suffix, StringComparison.Ordinal)) is { Suffix: not null } hit
            ? (text[..^hit.Suffix.Length], hit.Factor)
            : (text, 1m);
        return decimal.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value) && value * factor <= long.MaxValue
            ? decimal.Ceiling(value * factor)
            : null;
    }

    private static decimal? Quantity(ParseResult parse, Option<string?> option, List<string> errors)
    {
        if (parse.GetValue(option) is not { } text)
        {
            return null;
        }

        var value = ParseQuantity(text);
        if (value is null)
        {
            errors.Add($"{option.Name}: '{text}' is not a size (bytes, or e.g. 512Mi, 8Gi, 10G)");
        }

        return value;
    }

    private static double? Number(ParseResult parse, Option<string?> option, List<string> errors)
    {
        if (parse.GetValue(option) is not { } text)
        {
            return null;
        }

        // Kubernetes' millicores (500m) as well as plain CPUs (0.5).
        var millis = text.EndsWith('m');
        if (double.TryParse(millis ? text[..^1] : text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value))
        {
            return millis ? value / 1000 : value;
        }

        errors.Add($"{option.Name}: '{text}' is not a number of CPUs (e.g. 2, 0.5, 500m)");
        return null;
    }
}
