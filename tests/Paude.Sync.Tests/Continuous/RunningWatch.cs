using System.Threading.Channels;
using Paude.Sessions;
using Paude.Sync;
using Paude.Tests.Infrastructure;

namespace Paude.Tests.Continuous;

/// <summary>
/// A continuous sync running in the background for a test: every round it yields is recorded, and the test waits for
/// the rounds (or the session state) it expects, each with a bound — polling, never a fixed sleep as an assertion.
/// </summary>
public sealed class RunningWatch : IAsyncDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);
    private readonly CancellationTokenSource _cts;
    private readonly Channel<ContinuousSyncRound> _rounds = Channel.CreateUnbounded<ContinuousSyncRound>();
    private readonly List<ContinuousSyncRound> _all = [];

    private RunningWatch(IAsyncEnumerable<ContinuousSyncRound> rounds, CancellationTokenSource cts)
    {
        _cts = cts;
        Loop = Task.Run(() => PumpAsync(rounds));
    }

    /// <summary>The enumeration; completes when the watch stops.</summary>
    public Task Loop { get; }

    /// <summary>Every round so far.</summary>
    public IReadOnlyList<ContinuousSyncRound> All
    {
        get
        {
            lock (_all)
            {
                return [.. _all];
            }
        }
    }

    public static RunningWatch Start(IContinuousSync sync, SessionName session, string workspace, ContinuousSyncOptions options)
    {
        var cts = new CancellationTokenSource();
        return new RunningWatch(sync.WatchToSessionAsync(session, workspace, options, cts.Token), cts);
    }

    /// <summary>Waits (bounded) for the next round that matches <paramref name="match"/>, skipping others.</summary>
    public async Task<ContinuousSyncRound> NextAsync(Func<ContinuousSyncRound, bool>? match = null, TimeSpan? bound = null)
    {
        using var timeout = new CancellationTokenSource(bound ?? Bound);
        try
        {
            while (true)
            {
                var round = await _rounds.Reader.ReadAsync(timeout.Token);
                if (match is null || match(round))
                {
                    return round;
                }
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            throw new TimeoutException($"No matching round within {(bound ?? Bound).TotalSeconds} s; rounds so far: {string.Join("; ", All.Select(Describe))}");
        }
        catch (ChannelClosedException)
        {
            await Loop;
            throw new InvalidOperationException("The watch ended before a matching round.");
        }
    }

    /// <summary>Polls <paramref name="condition"/> until it holds (bounded); the poll interval is not an assertion.</summary>
    public static Task EventuallyAsync(Func<Task<bool>> condition, string what, TimeSpan? bound = null) =>
        Eventually.UntilAsync(condition, holds => holds, what, bound ?? Bound);

    /// <summary>The content of a session file, or <c>null</c> when it does not exist.</summary>
    public static async Task<string?> SessionFileAsync(SessionName session, string path)
    {
        var result = await Podman.RunAsync(["exec", SyncFixture.Container(session), "cat", "--", path]);
        return result.ExitCode == 0 ? result.StandardOutput : null;
    }

    /// <summary>Stops the watch and returns how long the enumeration took to end.</summary>
    public async Task<TimeSpan> StopAsync()
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        await _cts.CancelAsync();
        await Loop.WaitAsync(Bound);
        return started.Elapsed;
    }

    public async ValueTask DisposeAsync()
    {
        if (!Loop.IsCompleted)
        {
            await StopAsync();
        }

        _cts.Dispose();
    }

    public static string Describe(ContinuousSyncRound r) =>
        $"#{r.Number} {r.Trigger} events={r.Events} " + (r.Error is { } e ? $"error={e.GetType().Name} retry={r.RetryIn}" : $"changed={r.Result!.FilesChanged.Count} deleted={r.Result.FilesDeleted.Count} conflicts={r.Result.Conflicts.Count}");

    private async Task PumpAsync(IAsyncEnumerable<ContinuousSyncRound> rounds)
    {
        try
        {
            await foreach (var round in rounds)
            {
                lock (_all)
                {
                    _all.Add(round);
                }

                await _rounds.Writer.WriteAsync(round);
            }
        }
        finally
        {
            _rounds.Writer.TryComplete();
        }
    }
}
