using Paude.Cli.Hosting;

namespace Paude.Cli.Output;

/// <summary>
/// Shows progress of long work on stderr, so stdout stays clean for results: a live spinner with the elapsed time
/// on a terminal, one line at start and one at the end otherwise; a failure adds no line of its own (the error line
/// says it). Silent in JSON mode.
/// </summary>
internal sealed class ProgressReporter(CliConsole console, TimeProvider time, bool enabled)
{
    private static readonly char[] Frames = ['|', '/', '-', '\\'];

    // Carriage return and erase the line: the spinner's own control sequence, the one paude writes unescaped.
    private const string ClearLine = "\r\x1b[K";

    public async Task<T> RunAsync<T>(string activity, Func<CancellationToken, Task<T>> work, CancellationToken cancellationToken)
    {
        if (!enabled)
        {
            return await work(cancellationToken).ConfigureAwait(false);
        }

        var started = time.GetTimestamp();
        using var stopSpinner = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task spinner = Task.CompletedTask;
        if (console.IsErrorTerminal)
        {
            spinner = SpinAsync(activity, started, stopSpinner.Token);
        }
        else
        {
            await console.Error.WriteLineAsync($"{activity}...").ConfigureAwait(false);
        }

        var done = false;
        try
        {
            var result = await work(cancellationToken).ConfigureAwait(false);
            done = true;
            return result;
        }
        finally
        {
            await stopSpinner.CancelAsync().ConfigureAwait(false);
            await spinner.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            var elapsed = time.GetElapsedTime(started).TotalSeconds;
            if (console.IsErrorTerminal)
            {
                // The spinner goes; a failure is reported by the error line that follows (one clear line).
                console.Error.WriteControl(ClearLine);
            }

            if (done)
            {
                await console.Error.WriteLineAsync($"{activity}: done ({elapsed:0.0} s)").ConfigureAwait(false);
            }
        }
    }

    private async Task SpinAsync(string activity, long started, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(120), time);
        var frame = 0;
        do
        {
            var elapsed = time.GetElapsedTime(started).TotalSeconds;
            console.Error.WriteControl(ClearLine);
            await console.Error.WriteAsync($"{Frames[frame++ % Frames.Length]} {activity} ({elapsed:0} s)").ConfigureAwait(false);
        }
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false));
    }
}
