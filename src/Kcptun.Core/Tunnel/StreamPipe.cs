using System.Buffers;

namespace Kcptun.Tunnel;

/// <summary>
/// Copies a tunnelled connection both ways (docs/protocol/programs.md §10.3 to 10.5): as soon as either direction ends (EOF or
/// error), waits <c>closeWait</c> for the other (latest's <c>--closewait</c>; zero = Debian's immediate close), then
/// closes both streams. Buffers come from the shared pool and are held only while data flows.
/// </summary>
internal static class StreamPipe
{
    /// <summary>Read size of each copy; larger than Go's 4 KiB so a busy stream fills whole smux frames.</summary>
    public const int BufferSize = 32 * 1024;

    /// <summary>Runs until both directions are done; returns the error that ended the first direction, or null for EOF.</summary>
    public static async Task<Exception?> RunAsync(Stream local, Stream tunnel, TimeSpan closeWait, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(local);
        ArgumentNullException.ThrowIfNull(tunnel);
        var upstream = CopyAsync(local, tunnel, cancellationToken);
        var downstream = CopyAsync(tunnel, local, cancellationToken);
        var first = await Task.WhenAny(upstream, downstream).ConfigureAwait(false);
        if (closeWait > TimeSpan.Zero)
        {
            var other = first == upstream ? downstream : upstream;
            try
            {
                await other.WaitAsync(closeWait, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is TimeoutException or OperationCanceledException)
            {
                // Waited long enough: close both below.
            }
        }

        await CloseAsync(local).ConfigureAwait(false);
        await CloseAsync(tunnel).ConfigureAwait(false);
        await Task.WhenAll(upstream, downstream).ConfigureAwait(false);

        // Only the direction that ended first tells why; the other one was ended by our close.
        return await first.ConfigureAwait(false);
    }

    // Returns the error that ended the copy, or null for EOF (or a close caused by the other direction ending).
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
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = null;
                    }

                    await from.ReadAsync(Memory<byte>.Empty, cancellationToken).ConfigureAwait(false);
                }

                buffer ??= ArrayPool<byte>.Shared.Rent(BufferSize);
                var n = await from.ReadAsync(buffer.AsMemory(0, BufferSize), cancellationToken).ConfigureAwait(false);
                if (n == 0)
                {
                    return null;
                }

                await to.WriteAsync(buffer.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
                busy = n == BufferSize;
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException or System.Net.Sockets.SocketException)
        {
            return e is IOException or System.Net.Sockets.SocketException ? e : null;
        }
        finally
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    private static async ValueTask CloseAsync(Stream stream)
    {
        try
        {
            await stream.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or System.Net.Sockets.SocketException)
        {
            // Already broken: nothing more to close.
        }
    }
}
