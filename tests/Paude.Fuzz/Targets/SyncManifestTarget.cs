using Paude.Sync.Manifest;

namespace Paude.Fuzz.Targets;

/// <summary>
/// <see cref="ManifestStore.Read"/> on a damaged or hand-edited <c>sync-manifest.json</c>. Promises: no exception (a
/// damaged manifest costs only base information); the result is fully usable: no null sessions, file maps or
/// values where the types say there are none.
/// </summary>
public sealed class SyncManifestTarget : IFuzzTarget
{
    public string Name => "syncmanifest";

    public void Run(byte[] input)
    {
        var folder = Path.Combine(Path.GetTempPath(), "paude-fuzz-manifest-" + Guid.NewGuid().ToString("N"));
        var store = ManifestStore.For(folder, folder);
        Directory.CreateDirectory(store.Directory);
        try
        {
            File.WriteAllBytes(store.ManifestPath, input);
            var manifest = store.Read();
            InvariantViolationException.Check(manifest is { Sessions: not null }, "syncmanifest: Sessions is null");
            foreach (var (name, record) in manifest.Sessions)
            {
                InvariantViolationException.Check(name is not null && record is { Files: not null, Uploaded: not null }, $"syncmanifest: session '{name}' has a null record or map");
                InvariantViolationException.Check(record.Files.Values.All(v => v is not null) && record.Uploaded.Values.All(v => v is not null), $"syncmanifest: session '{name}' has a null file entry");
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
