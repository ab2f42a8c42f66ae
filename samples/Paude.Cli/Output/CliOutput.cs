using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Paude.Cli.Hosting;
using Paude.Errors;

namespace Paude.Cli.Output;

/// <summary>Writes results as human text or as JSON on stdout, and errors on stderr (never with a stack trace).</summary>
internal sealed class CliOutput(CliConsole console, bool json)
{
    public bool IsJson { get; } = json;

    public CliConsole Console { get; } = console;

    /// <summary>Writes <paramref name="value"/> as JSON, or calls <paramref name="human"/> for the text form.</summary>
    public void Write<T>(T value, JsonTypeInfo<T> typeInfo, Action<TextWriter> human)
    {
        if (IsJson)
        {
            Console.Out.WriteLine(JsonSerializer.Serialize(value, typeInfo));
        }
        else
        {
            human(Console.Out);
        }
    }

    /// <summary>Reports <paramref name="error"/> on stderr and returns its exit code.</summary>
    public int WriteError(Exception error)
    {
        var (code, kind) = ExitCodes.Classify(error);
        var message = error is OperationCanceledException ? "Cancelled." : error.Message;
        if (kind == "unexpected-error")
        {
            // Not one of ours: name the type so a bug report is useful, but still no stack trace (see --verbose).
            message = $"{error.GetType().Name}: {error.Message}";
        }

        if (IsJson)
        {
            var errors = (error as PaudeValidationException)?.Errors;
            var view = new ErrorView(new ErrorBody(code, kind, message, errors));
            Console.Error.WriteLine(JsonSerializer.Serialize(view, CliJsonContext.Output.ErrorView));
        }
        else
        {
            Console.Error.WriteLine($"paude: error: {message}");
        }

        return code;
    }
}
