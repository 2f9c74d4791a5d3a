using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace Kcptun.Tests.Support;

/// <summary>
/// A tunnel target that answers only once the request has ended, as an HTTP/1.0 server or <c>nc -N</c>'s peer does: it
/// reads until end of stream, then sends <see cref="AnswerFor"/> the request and ends its side, at once (the "answer
/// right after the FIN" case of docs/protocol/smux.md §8.4) or after a pause. Loopback, port 0; every connection is awaited on
/// dispose. Shared by both test projects.
/// </summary>
internal sealed class AnswerAfterEofTarget : LoopbackTarget
{
    private readonly int _answerSize;
    private readonly TimeSpan _pauseBeforeEnd;

    /// <param name="answerSize">Bytes of every answer.</param>
    /// <param name="pauseBeforeEnd">How long the target waits between its answer and its end of stream.</param>
    public AnswerAfterEofTarget(int answerSize, TimeSpan pauseBeforeEnd = default)
    {
        _answerSize = answerSize;
        _pauseBeforeEnd = pauseBeforeEnd;
        Start();
    }

    /// <summary>SHA-256 (hex) of each complete request (one that ended with end of stream, not a reset).</summary>
    public ConcurrentBag<string> Requests { get; } = [];

    /// <summary>The answer to <paramref name="request"/>: <paramref name="size"/> bytes seeded by its hash.</summary>
    public static byte[] AnswerFor(ReadOnlySpan<byte> request, int size)
    {
        var answer = new byte[size];
        new Random(BinaryPrimitives.ReadInt32LittleEndian(SHA256.HashData(request))).NextBytes(answer);
        return answer;
    }

    protected override async Task ServeAsync(Socket socket, CancellationToken stop)
    {
        await using var stream = new NetworkStream(socket, ownsSocket: true);
        try
        {
            var request = new MemoryStream();
            await stream.CopyToAsync(request, stop); // until the client's end of stream
            Requests.Add(Convert.ToHexStringLower(SHA256.HashData(request.GetBuffer().AsSpan(0, (int)request.Length))));
            await stream.WriteAsync(AnswerFor(request.GetBuffer().AsSpan(0, (int)request.Length), _answerSize), stop);
            if (_pauseBeforeEnd > TimeSpan.Zero)
            {
                await Task.Delay(_pauseBeforeEnd, stop);
            }

            socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception)
        {
            // Reset or stopped: the test sees the missing request or answer.
        }
    }
}
