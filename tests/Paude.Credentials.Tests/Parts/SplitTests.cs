using Paude.Backends.OpenShift.Credentials;
using Paude.Credentials;
using Paude.Tests.Packaging;
using Paude.Tests.Support;

namespace Paude.Tests.Parts;

public sealed class SplitTests(SyntheticHomeFixture fixture) : IClassFixture<SyntheticHomeFixture>, IDisposable
{
    /// <summary>What a Secret needs besides the data: names, labels, annotations, the parts manifest key (generous).</summary>
    private const int MetadataHeadroom = 64 * 1024;

    private readonly TempDir _work = new();

    public void Dispose() => _work.Dispose();

    [Fact]
    public async Task Package_SplitsIntoPartsThatEachFitASecret_AndReassemblesToTheSameHash()
    {
        var (package, parts, manifest) = await SplitPackageAsync(fixture.Home, _work);
        Assert.True(manifest.Parts.Count >= 25, $"a 20 MB package needs many parts, got {manifest.Parts.Count}");
        foreach (var part in manifest.Parts)
        {
            Assert.True(CredentialParts.Base64Length(part.Size) + MetadataHeadroom <= CredentialParts.SecretLimitBytes, $"{part.Name}: {part.Size} bytes");
            Assert.Equal(part.Sha256, SyntheticHome.Sha256(Path.Join(parts, part.Name)));
        }

        Assert.Equal(new FileInfo(package).Length, manifest.TotalSize);
        Assert.Equal(SyntheticHome.Sha256(package), manifest.Sha256);
        var rebuilt = _work.Combine("rebuilt.tar");
        await using (var output = File.Create(rebuilt))
        {
            await CredentialParts.ReassembleAsync(manifest, name => File.OpenRead(Path.Join(parts, name)), output);
        }

        Assert.Equal(SyntheticHome.Sha256(package), SyntheticHome.Sha256(rebuilt));
    }

    [Fact]
    public async Task Reassemble_DetectsMissingAndCorruptedParts()
    {
        var (_, parts, manifest) = await SplitPackageAsync(fixture.Home, _work);
        var missing = await Assert.ThrowsAsync<CredentialPartsException>(() => CredentialParts.ReassembleAsync(
            manifest, name => name == "part-0002" ? null : File.OpenRead(Path.Join(parts, name)), Stream.Null));
        Assert.Contains("'part-0002' is missing", missing.Message, StringComparison.Ordinal);

        var bytes = await File.ReadAllBytesAsync(Path.Join(parts, "part-0003"));
        bytes[1000] ^= 0xFF;
        var corrupted = await Assert.ThrowsAsync<CredentialPartsException>(() => CredentialParts.ReassembleAsync(
            manifest, name => name == "part-0003" ? new MemoryStream(bytes) : File.OpenRead(Path.Join(parts, name)), Stream.Null));
        Assert.Contains("'part-0003' is corrupted", corrupted.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reassemble_ReadsNoMoreOfAPartThanDeclared_AndChecksTheTotalSize()
    {
        // A part Secret edited to hold far more than the manifest says must not be read whole into memory.
        var data = new byte[4096];
        var manifest = new CredentialPartsManifest(
            [new CredentialPartInfo("part-0000", data.Length, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(data)))],
            data.Length, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(data)));
        var endless = new CountingZeroStream();
        await Assert.ThrowsAsync<CredentialPartsException>(() => CredentialParts.ReassembleAsync(manifest, _ => endless, Stream.Null));
        Assert.True(endless.Served <= data.Length + 1, $"read {endless.Served} bytes of a part declared as {data.Length}");

        // A manifest whose total does not match its parts is refused like a wrong hash.
        var lying = manifest with { TotalSize = data.Length + 1 };
        var error = await Assert.ThrowsAsync<CredentialPartsException>(() => CredentialParts.ReassembleAsync(lying, _ => new MemoryStream(data), Stream.Null));
        Assert.Contains("size", error.Message, StringComparison.Ordinal);
    }

    /// <summary>A part that never ends (zeros, up to 64 MiB); counts what was read from it.</summary>
    private sealed class CountingZeroStream : Stream
    {
        public long Served { get; private set; }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = (int)Math.Min(count, (64L << 20) - Served);
            Array.Clear(buffer, offset, n);
            Served += n;
            return n;
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    [Fact]
    public async Task EmptyPackage_GivesOneEmptyPart()
    {
        var manifest = await CredentialParts.SplitAsync(new MemoryStream(), (_, _) => ValueTask.CompletedTask);
        var part = Assert.Single(manifest.Parts);
        Assert.Equal(0, part.Size);
        Assert.Equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", manifest.Sha256);
    }

    /// <summary>Packages the home, splits it into files <c>part-NNNN</c> plus <c>parts.manifest</c> in a folder.</summary>
    internal static async Task<(string Package, string PartsDir, CredentialPartsManifest Manifest)> SplitPackageAsync(SyntheticHome home, TempDir work)
    {
        using var harness = new Harness(o =>
        {
            home.Configure(o);
            o.OutsideLinks = OutsideLinkPolicy.Skip;
        });
        var package = work.Combine("pkg.tar");
        await harness.PackageToFileAsync(package, "claude", "gcloud", "git");
        var parts = Directory.CreateDirectory(work.Combine("parts")).FullName;
        CredentialPartsManifest manifest;
        await using (var input = File.OpenRead(package))
        {
            manifest = await CredentialParts.SplitAsync(input, async (part, ct) => await File.WriteAllBytesAsync(Path.Join(parts, part.Name), part.Data, ct));
        }

        await File.WriteAllTextAsync(Path.Join(parts, CredentialPartsManifest.FileName), manifest.ToText());
        return (package, parts, manifest);
    }
}
