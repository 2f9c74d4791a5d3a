using Kcptun.Transport;

namespace Kcptun.Tests.Transport.Link;

/// <summary>
/// A test application on a session, driven from <see cref="InMemoryNetwork.Stepped"/>: every step it reads all that
/// arrived and writes what it has while the send window allows (optionally echoing what it read), never waiting, so
/// the whole exchange runs on the pump's thread and is the same on every run.
/// </summary>
internal sealed class PumpedSession
{
    private const int WritePiece = 16 * 1024;

    private readonly byte[] _readBuffer = new byte[64 * 1024];
    private readonly Queue<byte[]> _toWrite = new();
    private int _writeOffset;

    public PumpedSession(InMemoryNetwork network, KcpSession session, bool echo = false)
    {
        Session = session;
        Echo = echo;
        network.Stepped += Poll;
    }

    public KcpSession Session { get; }

    public bool Echo { get; }

    /// <summary>Everything read so far.</summary>
    public MemoryStream Received { get; } = new();

    /// <summary>Bytes handed to <see cref="Write"/> and not yet taken by the session.</summary>
    public long PendingWrite { get; private set; }

    /// <summary>True once a read returned end of stream.</summary>
    public bool Ended { get; private set; }

    public void Write(byte[] data)
    {
        _toWrite.Enqueue(data);
        PendingWrite += data.Length;
    }

    private void Poll()
    {
        if (Ended)
        {
            return;
        }

        int n;
        while ((n = Session.TryReceive(_readBuffer)) > 0)
        {
            Received.Write(_readBuffer, 0, n);
            if (Echo)
            {
                Write(_readBuffer[..n]);
            }
        }

        if (n == 0)
        {
            Ended = true;
            return;
        }

        while (_toWrite.TryPeek(out byte[]? head))
        {
            int length = Math.Min(WritePiece, head.Length - _writeOffset);
            if (!Session.TrySend(head.AsSpan(_writeOffset, length)))
            {
                return;
            }

            PendingWrite -= length;
            _writeOffset += length;
            if (_writeOffset == head.Length)
            {
                _toWrite.Dequeue();
                _writeOffset = 0;
            }
        }
    }
}
