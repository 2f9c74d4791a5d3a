namespace Kcptun.IO;

/// <summary>
/// A duplex stream whose write side can be closed on its own, as a TCP socket's <c>shutdown(SHUT_WR)</c>: the peer
/// reads end-of-stream after everything written so far, and this side goes on reading until the peer closes too.
/// <see cref="Stream.Dispose()"/> stays the full close.
/// </summary>
public interface IHalfClosable
{
    /// <summary>Ends this side's writing; idempotent. Later writes fail; reads are unaffected.</summary>
    void CloseWrite();
}
