using Kcptun.Crypto;
using Kcptun.Diagnostics;
using Kcptun.Smux;

namespace Kcptun.Tunnel;

/// <summary>
/// What the client and the server do with one tunnelled stream once both ends exist: the "stream opened/closed" lines,
/// the open-stream gauge, optional QPP, and <see cref="StreamPipe"/> between the TCP side and the smux stream until
/// either ends or the session closes (docs/protocol/programs.md §10.4). Only the names in the lines differ by side.
/// </summary>
internal static class TunnelStreamPump
{
    /// <param name="local">The TCP (or unix socket) side: the accepted connection (client) or the dialled target (server).</param>
    /// <param name="stream">The smux stream of the tunnel.</param>
    /// <param name="pads">QPP pads, or null.</param>
    /// <param name="closeWait">How long each half-close waits for the other direction (<c>--closewait</c>).</param>
    /// <param name="log">Where the lines go.</param>
    /// <param name="quiet">Leave out the opened/closed lines (<c>--quiet</c>); smux protocol errors are still logged.</param>
    /// <param name="from">The "in:" name of the lines.</param>
    /// <param name="to">The "out:" name of the lines.</param>
    /// <param name="alsoOpen">What <see cref="MemoryTrim"/> counts beside the open streams: the server's sessions, 0 on the client.</param>
    /// <param name="cancellationToken">The tunnel's stop.</param>
    public static async Task RunAsync(Stream local, SmuxStream stream, QuantumPermutationPad? pads, TimeSpan closeWait,
        TunnelLog log, bool quiet, string from, string to, long alsoOpen, CancellationToken cancellationToken)
    {
        if (!quiet)
        {
            log.Write($"stream opened in: {from} out: {to}");
        }

        MemoryTrim.NoteOpen(Interlocked.Increment(ref TunnelGauges.Global.OpenStreams) + alsoOpen);
        Stream tunnel = pads is null ? stream : new QppStream(stream, pads);
        // The session's end must end this stream even while no direction reads it (half-closed, waiting).
        using var scope = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, stream.Session.Closing);
        var error = await StreamPipe.RunAsync(local, tunnel, closeWait, scope.Token).ConfigureAwait(false);
        error ??= stream.Session.CloseReason;
        if (error is SmuxProtocolException)
        {
            log.Write($"smux {error.Message} in: {from} out: {to}");
        }

        Interlocked.Decrement(ref TunnelGauges.Global.OpenStreams);
        if (!quiet)
        {
            log.Write($"stream closed in: {from} out: {to}");
        }
    }
}
