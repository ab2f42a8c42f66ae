using System.CommandLine;
using System.Globalization;
using Paude.Cli.Output;
using Paude.Egress;

namespace Paude.Cli.Commands;

/// <summary>allowed-domains (read or change a session's egress allow-list) and blocked-domains (what its proxy refused).</summary>
internal static class EgressCommands
{
    public static IEnumerable<Command> Create(CliApp app)
    {
        yield return AllowedDomainsCommand(app);
        yield return BlockedDomainsCommand(app);
    }

    private static Command AllowedDomainsCommand(CliApp app)
    {
        var name = SessionCommands.NameArgument();
        var add = ListOption("--add", "Add entries (aliases, hosts, .suffix, ~regex, all).");
        var remove = ListOption("--remove", "Remove entries; removing one domain of an alias expands that alias.");
        var replace = ListOption("--replace", "Replace the whole allow-list.");
        var command = new Command("allowed-domains", "Show or change the egress allow-list of a session; a running proxy picks the change up at once.")
        {
            name, add, remove, replace,
        };
        command.Validators.Add(result =>
        {
            var given = new[] { add, remove, replace }.Where(o => result.GetResult(o) is not null).Select(o => o.Name).ToList();
            if (given.Count > 1)
            {
                result.AddError($"{string.Join(", ", given)} cannot be combined: use one of them.");
            }
        });
        command.SetAction((parse, ct) => app.RunAsync(parse, async (ctx, token) =>
        {
            var session = SessionCommands.ParseName(parse.GetValue(name));
            var policy = await ctx.Backend.GetEgressPolicyAsync(session, token).ConfigureAwait(false);
            EgressPolicy? changed = null;
            if (parse.GetValue(add) is { Length: > 0 } added)
            {
                changed = EgressPolicy.Parse(policy.Entries.Concat(added));
            }
            else if (parse.GetValue(remove) is { Length: > 0 } removed)
            {
                changed = Remove(session, policy, removed);
            }
            else if (parse.GetValue(replace) is { Length: > 0 } replacement)
            {
                changed = EgressPolicy.Parse(replacement);
            }

            if (changed is not null)
            {
                await ctx.Progress.RunAsync($"Updating the allow-list of session '{session}'", async c =>
                {
                    await ctx.Backend.SetEgressPolicyAsync(session, changed, c).ConfigureAwait(false);
                    return true;
                }, token).ConfigureAwait(false);
                policy = await ctx.Backend.GetEgressPolicyAsync(session, token).ConfigureAwait(false);
            }

            var view = AllowedDomainsView.From(session, ctx.Backend.Name, policy);
            ctx.Output.Write(view, CliJsonContext.Output.AllowedDomainsView, w =>
            {
                if (view.Unrestricted)
                {
                    w.WriteLine("unrestricted (all): every destination is allowed; requests still go through the proxy");
                    return;
                }

                w.WriteLine($"Entries: {(view.Entries.Count == 0 ? "(none: everything is blocked)" : string.Join(", ", view.Entries))}");
                foreach (var domain in view.Domains)
                {
                    w.WriteLine($"  {domain}");
                }
            });
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    private static EgressPolicy Remove(string session, EgressPolicy policy, string[] removed)
    {
        var entries = policy.Entries.ToList();
        var wanted = removed.SelectMany(r => r.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Select(r => r.StartsWith('~') ? r : r.ToLowerInvariant());
        foreach (var entry in wanted)
        {
            if (entries.Remove(entry))
            {
                continue;
            }

            // The domain came from an alias: spell the aliases out so the one domain can go.
            var expanded = EgressPolicy.Parse(entries).Domains;
            if (!expanded.Contains(entry, StringComparer.Ordinal))
            {
                throw new CliUsageException($"'{entry}' is not on the allow-list of session '{session}'; nothing was changed.");
            }

            entries = [.. expanded.Where(d => d != entry)];
        }

        return EgressPolicy.Parse(entries);
    }

    private static Command BlockedDomainsCommand(CliApp app)
    {
        var name = SessionCommands.NameArgument();
        var raw = new Option<bool>("--raw") { Description = "List every refused request instead of a count per host." };
        var command = new Command("blocked-domains", "Show the hosts the session's egress proxy refused (count and last time per host).") { name, raw };
        command.SetAction((parse, ct) => app.RunAsync(parse, async (ctx, token) =>
        {
            var session = SessionCommands.ParseName(parse.GetValue(name));
            var requests = new List<BlockedRequest>();
            await foreach (var request in ctx.Backend.GetBlockedRequestsAsync(session, token).ConfigureAwait(false))
            {
                requests.Add(request);
            }

            var hosts = requests.GroupBy(r => r.Host, StringComparer.Ordinal)
                .Select(g => new BlockedHostView(g.Key, g.Count(), g.Max(r => r.Time)))
                .OrderByDescending(h => h.Count).ThenBy(h => h.Host, StringComparer.Ordinal)
                .ToList();
            var showRaw = parse.GetValue(raw);
            var view = new BlockedDomainsView(session, ctx.Backend.Name, hosts,
                showRaw ? [.. requests.Select(r => new BlockedRequestView(r.Time, r.Method, r.Host, r.Url))] : null);
            ctx.Output.Write(view, CliJsonContext.Output.BlockedDomainsView, w =>
            {
                if (requests.Count == 0)
                {
                    w.WriteLine("No blocked requests.");
                }
                else if (showRaw)
                {
                    foreach (var r in requests)
                    {
                        w.WriteLine($"{Format(r.Time)}  {r.Method,-7}  {r.Url}");
                    }
                }
                else
                {
                    var width = Math.Max(4, hosts.Max(h => h.Host.Length));
                    w.WriteLine($"{"HOST".PadRight(width)}  {"COUNT",5}  LAST SEEN");
                    foreach (var h in hosts)
                    {
                        w.WriteLine($"{h.Host.PadRight(width)}  {h.Count,5}  {Format(h.LastSeen)}");
                    }
                }
            });
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    private static Option<string[]> ListOption(string name, string description) =>
        new(name) { Description = description + " Repeatable, comma-separated.", AllowMultipleArgumentsPerToken = true };

    private static string Format(DateTimeOffset time) => time.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
