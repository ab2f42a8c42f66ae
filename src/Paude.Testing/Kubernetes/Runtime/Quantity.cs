using System.Globalization;

namespace Paude.Testing.Kubernetes.Runtime;

/// <summary>Parses Kubernetes resource quantities (<c>1Mi</c>, <c>500M</c>, <c>2Gi</c>) to bytes.</summary>
internal static class Quantity
{
    public static long Bytes(string quantity)
    {
        (string Suffix, double Factor)[] suffixes =
        [
            ("Ki", 1024d), ("Mi", 1024d * 1024), ("Gi", 1024d * 1024 * 1024), ("Ti", 1024d * 1024 * 1024 * 1024),
            ("k", 1e3), ("M", 1e6), ("G", 1e9), ("T", 1e12),
        ];
        foreach (var (suffix, factor) in suffixes)
        {
            if (quantity.EndsWith(suffix, StringComparison.Ordinal))
            {
                return (long)(double.Parse(quantity[..^suffix.Length], CultureInfo.InvariantCulture) * factor);
            }
        }

        return (long)double.Parse(quantity, CultureInfo.InvariantCulture);
    }
}
