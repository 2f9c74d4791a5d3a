using Kcptun.IO;

namespace Kcptun.Fuzz;

/// <summary>
/// The connection under a fuzzed stream consumer: reads give the input (in pieces of at most
/// <paramref name="readSize"/> bytes, as a network delivers them), then end of stream; writes are counted and dropped.
/// </summary>
internal sealed class InputStream(byte[] input, int readSize) : DuplexStream
{
    private int _position;
    private long _written;

    public long Written => Interlocked.Read(ref _written);

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int count = Math.Min(Math.Min(buffer.Length, readSize), input.Length - _position);
        input.AsSpan(_position, count).CopyTo(buffer);
        _position += count;
        return count;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Read(buffer.Span));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        Task.FromResult(Read(buffer.AsSpan(offset, count)));

    public override void Write(byte[] buffer, int offset, int count) => Interlocked.Add(ref _written, count);

    public override void Write(ReadOnlySpan<byte> buffer) => Interlocked.Add(ref _written, buffer.Length);

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Interlocked.Add(ref _written, buffer.Length);
        return ValueTask.CompletedTask;
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        Interlocked.Add(ref _written, count);
        return Task.CompletedTask;
    }
}
