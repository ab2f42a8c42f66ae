using Paude.Errors;
using Paude.Sync.Git;

namespace Paude.Fuzz.Targets;

/// <summary>
/// <see cref="SessionRepositoryState.Parse"/> on the session's repository probe. Promises: only
/// <see cref="UnsafeContentException"/>; commits are empty or 40 lower-case hex digits; every path stays inside the
/// workspace.
/// </summary>
public sealed class RepositoryStateTarget : IFuzzTarget
{
    public string Name => "repostate";

    public void Run(byte[] input)
    {
        try
        {
            var state = SessionRepositoryState.Parse(input);
            foreach (var commit in new[] { state.HeadCommit, state.BranchCommit })
            {
                InvariantViolationException.Check(commit.Length == 0 || (commit.Length == 40 && commit.All(char.IsAsciiHexDigitLower)), $"repostate: commit '{commit}'");
            }

            foreach (var path in state.Dirty.Keys.Concat(state.Deleted))
            {
                ListingTarget.CheckInside(path, Name);
            }
        }
        catch (UnsafeContentException e)
        {
            ListingTarget.CheckMessage(e, Name);
        }
    }
}
