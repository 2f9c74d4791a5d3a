using System.Buffers;
using System.IO.Pipelines;

namespace Kcptun.Tests.Smux;

/// <summary>One end of an in-memory duplex byte stream built from two pipes; optionally records what it writes.</summary>
public sealed class DuplexPipeStream : Stream
{
    private readonly PipeReader _input;
    private readonly PipeWriter _output;
    private readonly List<byte>? _written;
    private int _disposed;

    private DuplexPipeStream(PipeReader input, PipeWriter output, bool record)
    {
        _input = input;
        _output = output;
        _written = record ? [] : null;
    }

    /// <summary>Two connected ends; each direction buffers up to <paramref name="pauseThreshold"/> bytes.</summary>
    public static (DuplexPipeStream Left, DuplexPipeStream Right) CreatePair(bool record = false, long pauseThreshold = 65536)
    {
        var options = new PipeOptions(pauseWriterThreshold: pauseThreshold, resumeWriterThreshold: pauseThreshold / 2, useSynchronizationContext: false);
        var leftToRight = new Pipe(options);
        var rightToLeft = new Pipe(options);
        return (new DuplexPipeStream(rightToLeft.Reader, leftToRight.Writer, record), new DuplexPipeStream(leftToRight.Reader, rightToLeft.Writer, record));
    }

    /// <summary>Everything written through this end so far.</summary>
    public byte[] Written
    {
        get
        {
            lock (_written!)
            {
                return [.. _written];
            }
        }
    }

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var result = await _input.ReadAsync(cancellationToken);
        var data = result.Buffer;
        if (data.IsEmpty)
        {
            _input.AdvanceTo(data.Start);
            return 0;
        }

        var count = (int)Math.Min(data.Length, buffer.Length);
        data.Slice(0, count).CopyTo(buffer.Span);
        _input.AdvanceTo(data.GetPosition(count));
        return count;
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_written is not null)
        {
            lock (_written)
            {
                _written.AddRange(buffer.Span);
            }
        }

        var result = await _output.WriteAsync(buffer, cancellationToken);
        if (result.IsCompleted)
        {
            throw new IOException("the other end is closed");
        }
    }

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _output.Complete();
            _input.CancelPendingRead();
            try
            {
                _input.Complete();
            }
            catch (InvalidOperationException)
            {
            }
        }

        base.Dispose(disposing);
    }
}
