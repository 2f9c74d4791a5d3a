namespace Kcptun.IO;

/// <summary>
/// Base of the project's duplex byte streams (KCP session, smux stream, snappy framing, QPP, replay): none of them
/// has a length or a position, so seeking is refused in one place.
/// </summary>
public abstract class DuplexStream : Stream
{
    /// <inheritdoc/>
    public sealed override bool CanSeek => false;

    /// <inheritdoc/>
    public sealed override long Length => throw new NotSupportedException();

    /// <inheritdoc/>
    public sealed override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <inheritdoc/>
    public sealed override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    /// <inheritdoc/>
    public sealed override void SetLength(long value) => throw new NotSupportedException();
}
