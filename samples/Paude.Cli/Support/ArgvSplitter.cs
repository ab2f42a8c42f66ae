using System.Text;

namespace Paude.Cli.Support;

/// <summary>
/// Splits a command line written as one string (<c>--agent-command "bash -c 'echo hi'"</c>) into an argument
/// vector with POSIX shell quoting rules (single quotes, double quotes, backslash). Only tokenises: the result is
/// an argv that is passed on as is and never handed to a shell, so nothing in it is expanded or executed.
/// </summary>
internal static class ArgvSplitter
{
    public static IReadOnlyList<string> Split(string commandLine)
    {
        ArgumentNullException.ThrowIfNull(commandLine);
        var args = new List<string>();
        var current = new StringBuilder();
        var inToken = false;
        for (var i = 0; i < commandLine.Length; i++)
        {
            var c = commandLine[i];
            switch (c)
            {
                case ' ' or '\t' or '\n' or '\r':
                    if (inToken)
                    {
                        args.Add(current.ToString());
                        current.Clear();
                        inToken = false;
                    }

                    break;
                case '\'':
                    inToken = true;
                    var close = commandLine.IndexOf('\'', i + 1);
                    if (close < 0)
                    {
                        throw new Output.CliUsageException($"Unterminated single quote in the command '{commandLine}'.");
                    }

                    current.Append(commandLine, i + 1, close - i - 1);
                    i = close;
                    break;
                case '"':
                    inToken = true;
                    i = ReadDoubleQuoted(commandLine, i + 1, current);
                    break;
                case '\\':
                    inToken = true;
                    if (i + 1 < commandLine.Length)
                    {
                        current.Append(commandLine[++i]);
                    }

                    break;
                default:
                    inToken = true;
                    current.Append(c);
                    break;
            }
        }

        if (inToken)
        {
            args.Add(current.ToString());
        }

        return args;
    }

    // Returns the index of the closing quote. Inside double quotes a backslash only escapes \ " $ and `.
    private static int ReadDoubleQuoted(string s, int start, StringBuilder current)
    {
        for (var i = start; i < s.Length; i++)
        {
            var c = s[i];
            if (c == '"')
            {
                return i;
            }

            if (c == '\\' && i + 1 < s.Length && s[i + 1] is '\\' or '"' or '$' or '`')
            {
                current.Append(s[++i]);
            }
            else
            {
                current.Append(c);
            }
        }

        throw new Output.CliUsageException($"Unterminated double quote in the command '{s}'.");
    }
}
