using Paude.Errors;
using Paude.Sessions;
using Paude.Tests.Infrastructure;

namespace Paude.Tests.Faults;

/// <summary>
/// <c>podman volume ls</c> fails as a whole ("no such volume") when any volume is removed while it lists — by
/// another session's delete, another process, another test. The backend repeats such a listing instead of failing
/// Get/List/Delete. The race is too narrow to provoke on demand, so the real podman is wrapped by a script that
/// answers the first N volume listings with podman's own error text and runs the real podman for everything else.
/// </summary>
public sealed class ListingRaceTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("paude-racing-podman-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task A_volume_listing_that_raced_with_a_removal_is_repeated()
    {
        var backend = PodmanPathBackend.Create(RacingPodman(failures: 2));
        var name = SessionName.Parse("race-never-created");

        var info = await backend.GetAsync(name);
        var listed = await backend.ListAsync().ToListAsync();

        Assert.Null(info);
        Assert.DoesNotContain(listed, s => s.Name == name);
        Assert.True(VolumeListings() >= 3, $"expected the two failed listings to be repeated, saw {VolumeListings()} listings");
    }

    [Fact]
    public async Task A_listing_that_keeps_failing_is_a_typed_error_after_bounded_attempts()
    {
        var backend = PodmanPathBackend.Create(RacingPodman(failures: int.MaxValue));

        var ex = await Assert.ThrowsAsync<BackendOperationException>(() => backend.GetAsync(SessionName.Parse("race-never-created")));

        Assert.Contains("no such volume", ex.Message, StringComparison.Ordinal);
        Assert.Equal(5, VolumeListings());
    }

    private string Counter => Path.Combine(_dir, "volume-listings");

    private int VolumeListings() => File.Exists(Counter) ? File.ReadAllLines(Counter).Length : 0;

    private string RacingPodman(int failures)
    {
        var script = Path.Combine(_dir, "podman");
        var limit = failures == int.MaxValue ? "999999" : failures.ToString(System.Globalization.CultureInfo.InvariantCulture);
        File.WriteAllText(script, $"""
            #!/bin/sh
            if [ "$1" = volume ] && [ "$2" = ls ]; then
              echo x >> '{Counter}'
              if [ "$(wc -l < '{Counter}')" -le {limit} ]; then
                echo 'Error: no volume with name other-session-workspace found in database: no such volume' >&2
                exit 125
              fi
            fi
            exec podman "$@"

            """);
        File.SetUnixFileMode(script, (UnixFileMode)0x1ED);
        return script;
    }
}
