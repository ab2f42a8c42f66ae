using Paude.Execution;

namespace Paude.Conformance;

/// <summary>Exec with a standard input that fails part-way: the caller hears of it, the command never gets it as whole.</summary>
public abstract partial class BackendConformanceTests<TFixture>
{
    [Fact]
    public async Task Exec_with_a_failing_standard_input_fails_instead_of_passing_the_truncated_input_as_whole()
    {
        var name = await Fixture.SharedSessionAsync();
        using var input = new FailingStream(256 * 1024, "the source disk went away");

        // Was swallowed as "the process closed its stdin": sha256sum got end-of-file and answered exit 0 for a prefix.
        var failed = await Assert.ThrowsAsync<IOException>(() => Backend.ExecAsync(name, new ProcessSpec(["sha256sum"]), input));

        Assert.Equal("the source disk went away", failed.Message);
        Assert.True(input.Served > 0, "the process got part of the input first");
        Assert.Equal("ok\n", await Backend.CheckAsync(name, "echo", "ok")); // the session goes on
    }

    /// <summary>A read-only stream that serves <c>limit</c> bytes, then throws the way a failing disk or socket does.</summary>
    private sealed class FailingStream(int limit, string error) : Stream
    {
        public int Served { get; private set; }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => Served; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (Served >= limit)
            {
                throw new IOException(error);
            }

            var n = Math.Min(count, limit - Served);
            buffer.AsSpan(offset, n).Fill((byte)'x');
            Served += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
