namespace Kcptun.IO;

/// <summary>
/// A stream whose writes queue below a bound (KCP's send queue): a writer that multiplexes several sources can wait
/// for room first and then choose what to write, sized to the room, instead of choosing early and waiting with its
/// choice. What is chosen late can still be another source's data that arrived meanwhile (smux's round-robin between
/// streams); what is chosen early waits behind everything the bound already holds.
/// </summary>
public interface IWriteReadiness
{
    /// <summary>Completes once a write would be accepted without waiting (at once when it would now, or when the stream is closed or failed, so the write reports it).</summary>
    ValueTask WaitWritableAsync(CancellationToken cancellationToken);

    /// <summary>Bytes a write may carry now before the queue reaches its bound (an estimate; 0 when a write would wait).</summary>
    int WritableBytes { get; }
}
