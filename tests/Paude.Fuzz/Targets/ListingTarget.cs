using System.Text;
using Paude.Errors;
using Paude.Sync.Files;

namespace Paude.Fuzz.Targets;

/// <summary>
/// The session's file listing (<c>sha256sum -z</c> records split by <see cref="SessionCommand.Records"/> and read by
/// <see cref="FileSync.ParseHashRecord"/>). Promises: only <see cref="UnsafeContentException"/>; every accepted path is
/// relative, stays inside the workspace when joined to it, and its hash is 64 lower-case hex digits.
/// </summary>
public sealed class ListingTarget : IFuzzTarget
{
    private const string Workspace = "/fuzz/workspace";

    public string Name => "listing";

    public void Run(byte[] input)
    {
        try
        {
            foreach (var record in SessionCommand.Records(input))
            {
                var (hash, path) = FileSync.ParseHashRecord(record);
                InvariantViolationException.Check(hash.Length == 64 && hash.All(char.IsAsciiHexDigitLower), $"listing: hash '{hash}'");
                CheckInside(path, "listing");
            }
        }
        catch (UnsafeContentException e)
        {
            CheckMessage(e, "listing");
        }
    }

    internal static void CheckInside(string path, string target)
    {
        var full = Path.GetFullPath(Path.Combine(Workspace, path));
        InvariantViolationException.Check(full.StartsWith(Workspace + "/", StringComparison.Ordinal) && !path.Contains('\0', StringComparison.Ordinal), $"{target}: path '{path}' leaves the workspace ({full})");
    }

    internal static void CheckMessage(Exception e, string target) =>
        InvariantViolationException.Check(Encoding.UTF8.GetByteCount(e.Message) < 64 * 1024, $"{target}: an error message of {e.Message.Length} characters");
}
