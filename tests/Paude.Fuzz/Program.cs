using Paude.Fuzz;

// Protocol (scripts/fuzz.sh relies on it):
//   Paude.Fuzz <target>                 afl-fuzz mode: SharpFuzz feeds inputs; an escaping exception is a crash.
//   Paude.Fuzz <target> --replay FILE.. runs each file once through the same checks; exit 1 on the first failure.
//   Paude.Fuzz --list                   prints the target names, one per line.
if (args.Length == 1 && args[0] == "--list")
{
    foreach (var name in FuzzTargets.Names)
    {
        Console.WriteLine(name);
    }

    return 0;
}

if (args.Length == 0 || !FuzzTargets.TryGet(args[0], out var target))
{
    await Console.Error.WriteLineAsync($"usage: Paude.Fuzz <target> [--replay FILE...]; targets: {string.Join(", ", FuzzTargets.Names)}");
    return 2;
}

if (args.Length >= 2 && args[1] == "--replay")
{
    foreach (var file in args.Skip(2))
    {
        try
        {
            FuzzHarness.Run(target, await File.ReadAllBytesAsync(file));
        }
        catch (Exception e)
        {
            await Console.Error.WriteLineAsync($"{file}: {e}");
            return 1;
        }
    }

    return 0;
}

SharpFuzz.Fuzzer.OutOfProcess.Run(stream =>
{
    using var copy = new MemoryStream();
    stream.CopyTo(copy);
    FuzzHarness.Run(target, copy.ToArray());
});
return 0;
