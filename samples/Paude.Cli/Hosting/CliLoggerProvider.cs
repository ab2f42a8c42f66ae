using Microsoft.Extensions.Logging;
using Paude.Cli.Output;

namespace Paude.Cli.Hosting;

/// <summary>
/// Log lines on stderr (<c>warn: Category[id] message</c>, the exception's text below it), escaped like the rest of
/// paude's output (<see cref="TerminalSafeWriter"/>): the SDK logs what a session sent (a failed round's error naming a
/// refused file, a path), and the console logger would pass an ESC sequence in it to the terminal as it is. One line
/// at a time under a lock: the SDK logs from several threads.
/// </summary>
internal sealed class CliLoggerProvider(TextWriter error) : ILoggerProvider
{
    private readonly TerminalSafeWriter _writer = new(error);

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private void Write(string line)
    {
        lock (_writer)
        {
            _writer.WriteLine(line);
            _writer.Flush();
        }
    }

    private sealed class Logger(CliLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            var line = $"{Level(logLevel)}: {category}[{eventId.Id}] {formatter(state, exception)}";
            provider.Write(exception is null ? line : line + Environment.NewLine + exception);
        }

        private static string Level(LogLevel level) => level switch
        {
            LogLevel.Trace => "trce",
            LogLevel.Debug => "dbug",
            LogLevel.Information => "info",
            LogLevel.Warning => "warn",
            LogLevel.Error => "fail",
            _ => "crit",
        };
    }
}
