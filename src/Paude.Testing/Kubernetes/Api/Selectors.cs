using System.Text.Json.Nodes;
using Paude.Testing.Kubernetes.Store;

namespace Paude.Testing.Kubernetes.Api;

/// <summary>Label selectors (<c>=</c>, <c>==</c>, <c>!=</c>, <c>in</c>, <c>notin</c>, exists, <c>!</c>not-exists) and field selectors (<c>=</c>, <c>==</c>, <c>!=</c> on any dotted field path).</summary>
internal static class Selectors
{
    public static Func<JsonObject, bool> Parse(string? labelSelector, string? fieldSelector)
    {
        var labels = ParseLabels(labelSelector);
        var fields = ParseFields(fieldSelector);
        return obj =>
        {
            var l = obj.Labels();
            return labels.All(p => p(l)) && fields.All(p => p(obj));
        };
    }

    public static List<Func<IReadOnlyDictionary<string, string>, bool>> ParseLabels(string? selector)
    {
        var result = new List<Func<IReadOnlyDictionary<string, string>, bool>>();
        if (string.IsNullOrWhiteSpace(selector))
        {
            return result;
        }

        foreach (var term in SplitTerms(selector))
        {
            var t = term.Trim();
            var notIn = t.IndexOf(" notin ", StringComparison.Ordinal);
            var isIn = t.IndexOf(" in ", StringComparison.Ordinal);
            if (notIn > 0 || isIn > 0)
            {
                var at = notIn > 0 ? notIn : isIn;
                var key = t[..at].Trim();
                var values = t[(at + (notIn > 0 ? 7 : 4))..].Trim().Trim('(', ')').Split(',').Select(v => v.Trim()).ToHashSet(StringComparer.Ordinal);
                result.Add(notIn > 0
                    ? l => !l.TryGetValue(key, out var v) || !values.Contains(v)
                    : l => l.TryGetValue(key, out var v) && values.Contains(v));
            }
            else if (t.Contains("!=", StringComparison.Ordinal))
            {
                var (key, value) = Split(t, "!=");
                result.Add(l => !l.TryGetValue(key, out var v) || v != value);
            }
            else if (t.Contains('=', StringComparison.Ordinal))
            {
                var (key, value) = Split(t, t.Contains("==", StringComparison.Ordinal) ? "==" : "=");
                result.Add(l => l.TryGetValue(key, out var v) && v == value);
            }
            else if (t.StartsWith('!'))
            {
                var key = t[1..].Trim();
                result.Add(l => !l.ContainsKey(key));
            }
            else
            {
                result.Add(l => l.ContainsKey(t));
            }
        }

        return result;
    }

    /// <summary>Matches a <c>LabelSelector</c> object (matchLabels + matchExpressions) as controllers and Services use it.</summary>
    public static bool Matches(JsonNode? selector, IReadOnlyDictionary<string, string> labels)
    {
        if (selector is not JsonObject s)
        {
            return false;
        }

        var matchLabels = s["matchLabels"] is JsonObject ? Meta.StringMap(s["matchLabels"]) : Meta.StringMap(s);
        if (matchLabels.Any(kv => !labels.TryGetValue(kv.Key, out var v) || v != kv.Value))
        {
            return false;
        }

        foreach (var e in s["matchExpressions"].Objects())
        {
            var key = e.Str("key") ?? "";
            var values = e["values"] is JsonArray a ? a.Select(v => v?.GetValue<string>()).ToHashSet() : [];
            var has = labels.TryGetValue(key, out var actual);
            var ok = e.Str("operator") switch
            {
                "In" => has && values.Contains(actual),
                "NotIn" => !has || !values.Contains(actual),
                "Exists" => has,
                "DoesNotExist" => !has,
                _ => false,
            };
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    private static List<Func<JsonObject, bool>> ParseFields(string? selector)
    {
        var result = new List<Func<JsonObject, bool>>();
        if (string.IsNullOrWhiteSpace(selector))
        {
            return result;
        }

        foreach (var term in selector.Split(','))
        {
            if (term.Contains("!=", StringComparison.Ordinal))
            {
                var (path, value) = Split(term, "!=");
                result.Add(o => (o.Path(path) ?? "") != value);
            }
            else if (term.Contains('=', StringComparison.Ordinal))
            {
                var (path, value) = Split(term, term.Contains("==", StringComparison.Ordinal) ? "==" : "=");
                result.Add(o => (o.Path(path) ?? "") == value);
            }
            else
            {
                throw KubeApiException.BadRequest($"invalid selector: '{selector}'; can't understand '{term}'");
            }
        }

        return result;
    }

    private static (string Key, string Value) Split(string term, string op)
    {
        var at = term.IndexOf(op, StringComparison.Ordinal);
        return (term[..at].Trim(), term[(at + op.Length)..].Trim());
    }

    // Commas inside "in (a,b)" do not separate terms.
    private static IEnumerable<string> SplitTerms(string selector)
    {
        var depth = 0;
        var start = 0;
        for (var i = 0; i < selector.Length; i++)
        {
            depth += selector[i] switch { '(' => 1, ')' => -1, _ => 0 };
            if (selector[i] == ',' && depth == 0)
            {
                yield return selector[start..i];
                start = i + 1;
            }
        }

        yield return selector[start..];
    }
}
