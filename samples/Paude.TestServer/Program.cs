using System.Runtime.InteropServices;
using Paude.TestServer;

// Starts the Kubernetes test server (pods are real Podman containers), prints where it is, runs until SIGINT or
// SIGTERM and then removes every container, volume, network and temporary file it made.
var parsed = TestServerArguments.Parse(args);
if (parsed.Errors.Count > 0)
{
    foreach (var error in parsed.Errors)
    {
        await Console.Error.WriteLineAsync($"error: {error}").ConfigureAwait(false);
    }

    await Console.Error.WriteLineAsync(TestServerArguments.Usage).ConfigureAwait(false);
    return 2;
}

if (parsed.Help)
{
    Console.WriteLine(TestServerArguments.Usage);
    return 0;
}

using var stop = new CancellationTokenSource();

// Cancel = true: shutdown is ours to finish (the clean-up must run before the process ends).
void OnSignal(PosixSignalContext context)
{
    context.Cancel = true;
    stop.Cancel();
}

using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
return await TestServerHost.RunAsync(parsed, Console.Out, Console.Error, stop.Token).ConfigureAwait(false);
