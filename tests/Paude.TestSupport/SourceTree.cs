namespace Paude.TestSupport;

/// <summary>Copies of source folders for tests that build or pack them elsewhere.</summary>
public static class SourceTree
{
    /// <summary>Copies <paramref name="from"/> into <paramref name="to"/>, leaving out every <c>bin</c> and <c>obj</c> folder (an in-place build's output).</summary>
    public static void CopyWithoutBuildOutput(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }

        foreach (var folder in Directory.EnumerateDirectories(from).Where(d => Path.GetFileName(d) is not ("bin" or "obj")))
        {
            CopyWithoutBuildOutput(folder, Path.Combine(to, Path.GetFileName(folder)));
        }
    }
}
