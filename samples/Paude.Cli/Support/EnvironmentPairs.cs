using Paude.Cli.Output;

namespace Paude.Cli.Support;

/// <summary>Parses repeated <c>--env KEY=VALUE</c> options.</summary>
internal static class EnvironmentPairs
{
    public static Dictionary<string, string> Parse(string[]? pairs)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        var errors = new List<string>();
        for (var i = 0; i < (pairs?.Length ?? 0); i++)
        {
            var eq = pairs![i].IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                // The value is not echoed: someone may have pasted a secret here despite the advice.
                errors.Add($"--env #{i + 1}: expected KEY=VALUE");
                continue;
            }

            result[pairs[i][..eq]] = pairs[i][(eq + 1)..];
        }

        return errors.Count == 0 ? result : throw new CliUsageException(string.Join(Environment.NewLine, errors));
    }
}
