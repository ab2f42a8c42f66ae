using System.Text;
using Paude.Egress;

namespace Paude.Fuzz.Targets;

/// <summary>
/// <see cref="SquidAccessLog.ReadBlocked"/> on the proxy's access log. Promises (its documentation): no exception on
/// junk; every result is a well-formed denied request (method of upper-case letters, - and _, lower-case host without spaces or control
/// characters, URL without control characters) taken from a line within the length limit.
/// </summary>
public sealed class SquidLogTarget : IFuzzTarget
{
    public string Name => "squid";

    public void Run(byte[] input)
    {
        using var reader = new StreamReader(new MemoryStream(input, writable: false), Encoding.UTF8);
        foreach (var blocked in SquidAccessLog.ReadBlocked(reader))
        {
            InvariantViolationException.Check(blocked.Method.Length > 0 && blocked.Method.All(c => char.IsAsciiLetterUpper(c) || c is '-' or '_'), $"squid: method '{blocked.Method}'");
            InvariantViolationException.Check(blocked.Host.Length > 0 && !blocked.Host.Any(c => char.IsControl(c) || char.IsWhiteSpace(c) || char.IsAsciiLetterUpper(c)), $"squid: host '{blocked.Host}'");
            InvariantViolationException.Check(!blocked.Url.Any(char.IsControl) && blocked.Url.Length <= SquidAccessLog.MaxLineLength, "squid: url");
        }
    }
}
