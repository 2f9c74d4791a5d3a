using System.Buffers.Binary;
using Kcptun.Fec;
using Kcptun.Kcp;

namespace Kcptun.Transport;

/// <summary>
/// What a session has seen of its peer, for dead-peer detection above the transport (no wire change). Times are
/// <see cref="KcpClock"/> milliseconds, -1 for "never" / "nothing".
/// </summary>
/// <param name="Now">When the snapshot was taken.</param>
/// <param name="FirstSent">First datagram sent.</param>
/// <param name="LastReceived">Last datagram that passed decryption and reached KCP.</param>
/// <param name="OutstandingSince">Since when the oldest segment not yet covered by the peer's cumulative
/// acknowledgement (una) has waited; -1 when everything sent is acknowledged.</param>
/// <param name="RetransmissionTimeout">KCP's current RTO estimate in ms (without back-off).</param>
/// <param name="PeerRegressions">ACKs proving the peer lost its state: an ACK for a segment we sent after the
/// peer had acknowledged everything below our una, carrying a una below it. A live peer's una never goes back; a
/// restarted server that took our old conversation for a new one (docs/protocol/kcp.md §6.12) answers exactly that way.</param>
public readonly record struct KcpLiveness(long Now, long FirstSent, long LastReceived, long OutstandingSince, int RetransmissionTimeout, long PeerRegressions);

public sealed partial class KcpSession
{
    private long _firstSentAt = -1;
    private long _lastReceivedAt = -1;
    private long _outstandingSince = -1; // under _gate
    private uint _knownUna;              // under _gate: our una as last observed
    private uint _unaAdvancedAt;         // under _gate: KcpClock.Now when it last moved
    private long _peerRegressions;

    /// <summary>A snapshot of what this session has heard from its peer (see <see cref="KcpLiveness"/>).</summary>
    public KcpLiveness Liveness
    {
        get
        {
            lock (_gate)
            {
                return new KcpLiveness(_clock.NowMilliseconds, Volatile.Read(ref _firstSentAt), _lastReceivedAt,
                    _outstandingSince, IsClosed ? 0 : _kcp.RetransmissionTimeout, _peerRegressions);
            }
        }
    }

    /// <summary>Before KCP input: looks for ACKs that prove the peer regressed (see <see cref="KcpLiveness"/>).</summary>
    private void ObservePeerLocked(ReadOnlySpan<byte> payload)
    {
        _lastReceivedAt = _clock.NowMilliseconds;
        ReadOnlySpan<byte> segments = payload;
        if (payload.Length >= FecHeader.Size)
        {
            ushort flag = BinaryPrimitives.ReadUInt16LittleEndian(payload[4..]);
            if (flag == FecHeader.ParityFlag)
            {
                return;
            }

            if (flag == FecHeader.DataFlag)
            {
                segments = payload[FecHeader.Size..];
            }
        }

        while (KcpSegmentHeader.TryRead(segments, out var header) && header.Conversation == Conversation)
        {
            if (header.Command == KcpCommand.Ack
                && (int)(header.Timestamp - _unaAdvancedAt) > 0
                && (int)(header.Unacknowledged - _knownUna) < 0)
            {
                _peerRegressions++;
                return;
            }

            int next = KcpSegmentHeader.Size + (int)Math.Min(header.Length, (uint)segments.Length);
            if (next > segments.Length)
            {
                return;
            }

            segments = segments[next..];
        }
    }

    /// <summary>After input or a flush: notes when una moved and since when data has been waiting for it.</summary>
    private void TrackProgressLocked()
    {
        uint una = _kcp.SendUnacknowledged;
        long now = _clock.NowMilliseconds;
        if (una != _knownUna)
        {
            _knownUna = una;
            _unaAdvancedAt = unchecked((uint)now);
            _outstandingSince = -1;
        }

        if (una == _kcp.SendNext)
        {
            _outstandingSince = -1;
        }
        else if (_outstandingSince < 0)
        {
            _outstandingSince = now;
        }
    }

    private void NoteSent()
    {
        if (Volatile.Read(ref _firstSentAt) < 0)
        {
            Interlocked.CompareExchange(ref _firstSentAt, _clock.NowMilliseconds, -1);
        }
    }
}
