using System.Net.Sockets;
using Kcptun.IO;

namespace Kcptun.Tunnel;

/// <summary>
/// Copies a tunnelled connection both ways with TCP half-close carried end to end, as kcptun 20260314 does
/// (docs/protocol/smux.md §8.4, programs.md §10.5): each direction copies until end of stream, waits <c>closeWait</c> (<c>--closewait</c>),
/// then closes the write side of its destination (FIN on an smux stream, <c>shutdown(SHUT_WR)</c> on a socket; a
/// stream with no half-close, such as QPP's wrapper, is closed fully). Both streams are closed once both directions are
/// done, or at once when either direction fails (reset, session gone): an error tears the whole connection down.
/// Buffers come from <see cref="PipeBuffers"/> (32 KiB, 4 KiB once many are out) and are held only while data flows.
/// </summary>
internal static class StreamPipe
{
    /// <summary>Read size of each copy; larger than Go's 4 KiB so a busy stream fills whole smux frames.</summary>
    public const int BufferSize = 32 * 1024;

    /// <summary>Runs until both directions are done; returns the first error, or null when both ended cleanly.</summary>
    /// <param name="local">The local application's (client) or the target's (server) connection.</param>
    /// <param name="tunnel">The smux stream, possibly wrapped (QPP).</param>
    /// <param name="closeWait">How long each direction waits after its end before half-closing its destination.</param>
    /// <param name="cancellationToken">Ends both directions at once and closes both streams.</param>
    /// <param name="time">The clock of the close-wait (tests: a manual one).</param>
    public static async Task<Exception?> RunAsync(Stream local, Stream tunnel, TimeSpan closeWait, CancellationToken cancellationToken, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(local);
        ArgumentNullException.ThrowIfNull(tunnel);
        using var pipe = new Pipe(local, tunnel, time ?? TimeProvider.System, cancellationToken);
        var upstream = pipe.DirectionAsync(local, tunnel, closeWait);
        var downstream = pipe.DirectionAsync(tunnel, local, closeWait);
        await Task.WhenAll(upstream, downstream).ConfigureAwait(false);
        await CloseAsync(local).ConfigureAwait(false);
        await CloseAsync(tunnel).ConfigureAwait(false);
        return pipe.FirstError;
    }

    // Returns the error that ended the copy, or null for end of stream (or an end caused by the pipe's teardown).
    // Starts on the caller's thread: the first read is issued at once (no pool hop before it, which was on the path
    // of every new connection's first request, on both tunnel ends) and returns to the caller at the first read
    // that has to wait.
    // Unless the last read filled the whole buffer (a busy flow: more is surely waiting), the loop first waits with a
    // zero-byte read and holds no buffer meanwhile: an idle connection then pins nothing, where it used to pin 32 KiB
    // per direction on each tunnel end.
    private static async Task<Exception?> CopyAsync(Stream from, Stream to, CancellationToken cancellationToken)
    {
        byte[]? buffer = null;
        try
        {
            var busy = false;
            while (true)
            {
                if (!busy)
                {
                    if (buffer is not null)
                    {
                        PipeBuffers.Return(buffer);
                        buffer = null;
                    }

                    await from.ReadAsync(Memory<byte>.Empty, cancellationToken).ConfigureAwait(false);
                }

                buffer ??= PipeBuffers.Rent();
                var n = await from.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
                if (n == 0)
                {
                    return null;
                }

                await to.WriteAsync(buffer.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
                busy = n == buffer.Length;
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException or SocketException)
        {
            return e is IOException or SocketException ? e : null;
        }
        finally
        {
            if (buffer is not null)
            {
                PipeBuffers.Return(buffer);
            }
        }
    }

    private static async ValueTask CloseAsync(Stream stream)
    {
        try
        {
            await stream.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or SocketException)
        {
            // Already broken: nothing more to close.
        }
    }

    /// <summary>What the two directions share: the first error and the teardown it triggers.</summary>
    private sealed class Pipe(Stream local, Stream tunnel, TimeProvider time, CancellationToken cancellationToken) : IDisposable
    {
        private readonly CancellationTokenSource _teardown = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        private Exception? _firstError;

        private volatile Stream? _closedEarly;

        public Exception? FirstError => Volatile.Read(ref _firstError);

        // Copy, wait closewait, half-close the destination. Any error ends both directions at once.
        public async Task DirectionAsync(Stream from, Stream to, TimeSpan closeWait)
        {
            var token = _teardown.Token;
            var error = await CopyAsync(from, to, token).ConfigureAwait(false);
            if (error is not null && ReferenceEquals(from, _closedEarly))
            {
                error = null; // we closed it ourselves (no half-close there): that is its end, not a failure
            }

            if (error is null && !token.IsCancellationRequested)
            {
                try
                {
                    if (closeWait > TimeSpan.Zero)
                    {
                        await Task.Delay(closeWait, time, token).ConfigureAwait(false);
                    }

                    await CloseWriteAsync(to).ConfigureAwait(false);
                    return;
                }
                catch (OperationCanceledException)
                {
                    return; // torn down meanwhile
                }
                catch (ObjectDisposedException)
                {
                    return;
                }
                catch (Exception e) when (e is IOException or SocketException)
                {
                    error = e; // e.g. the socket was reset meanwhile
                }
            }

            if (error is not null)
            {
                Interlocked.CompareExchange(ref _firstError, error, null);
                await TearDownAsync().ConfigureAwait(false);
            }
        }

        public void Dispose() => _teardown.Dispose();

        // The write side only: the reader of the other direction goes on. QPP's wrapper has none, so it is closed
        // fully (20260314 does the same; a reply arriving afterwards is lost, docs/protocol/smux.md §8.4).
        private async ValueTask CloseWriteAsync(Stream stream)
        {
            switch (stream)
            {
                case IHalfClosable halfClosable:
                    halfClosable.CloseWrite();
                    break;
                case NetworkStream socket:
                    socket.Socket.Shutdown(SocketShutdown.Send);
                    break;
                default:
                    _closedEarly = stream;
                    await stream.DisposeAsync().ConfigureAwait(false);
                    break;
            }
        }

        // Stops the other direction wherever it waits: its reads and writes end with the disposed streams.
        private async Task TearDownAsync()
        {
            await _teardown.CancelAsync().ConfigureAwait(false);
            await CloseAsync(local).ConfigureAwait(false);
            await CloseAsync(tunnel).ConfigureAwait(false);
        }
    }
}
