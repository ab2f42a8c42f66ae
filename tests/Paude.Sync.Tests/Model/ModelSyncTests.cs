using CsCheck;
using Paude.Sessions;
using Paude.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Paude.Tests.Model;

/// <summary>
/// Model-based sync test: CsCheck generates sequences of edits, renames, deletes, links, commits, amends, branch
/// switches, pulls and pushes with every strategy (forced or not), and pulls killed midway, over two sessions; each
/// runs against real git and real Podman sessions and is compared with <see cref="SyncModel"/>. A failure is shrunk
/// by CsCheck to the shortest failing sequence found within the budget and reported with its seed (replay it with
/// PAUDE_MODEL_SEED). Bounded for CI (<see cref="ModelSwitches"/>); PAUDE_MODEL_SOAK_SECONDS runs longer.
/// </summary>
[Collection(SyncGroup.Name)]
public sealed class ModelSyncTests(SyncFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public async Task Generated_sequences_keep_the_models_promises()
    {
        IReadOnlyList<SessionName> sessions = [await fixture.SessionAsync("m1"), await fixture.SessionAsync("m2")];
        var runs = 0;
        var longest = 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var gen = SyncOp.Sequences(ModelSwitches.MaxLength, ModelSwitches.SyncSafety);
        async Task RunAsync(SyncOp[] ops)
        {
            runs++;
            longest = Math.Max(longest, ops.Length);
            using var runner = new ModelRunner(fixture, sessions);
            await runner.RunAsync(ops);
        }

        // CI: fixed seeds, the same sequences every run. A seed given (a failure's) or a soak: CsCheck explores for
        // the time given and shrinks any failure to the shortest failing sequence it finds, printing its seed.
        var seeds = ModelSwitches.Seed is { } given ? [given] : ModelSwitches.SoakSeconds > 0 ? new string?[] { null } : ModelSwitches.CiSeeds;
        foreach (var seed in seeds)
        {
            await gen.SampleAsync(RunAsync, writeLine: output.WriteLine, seed: seed,
                iter: ModelSwitches.SoakSeconds > 0 ? -1 : 1, time: ModelSwitches.SoakSeconds > 0 ? ModelSwitches.SoakSeconds : -1,
                threads: 1, print: ops => string.Join(" ; ", ops));
        }

        output.WriteLine($"model: {runs} sequences, longest {longest} steps, {clock.Elapsed.TotalSeconds:F0} s, sync-safety properties {(ModelSwitches.SyncSafety ? "on" : "off")}");
        Console.WriteLine($"model: {runs} sequences, longest {longest} steps, {clock.Elapsed.TotalSeconds:F0} s");
    }
}
