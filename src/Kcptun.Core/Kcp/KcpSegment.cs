namespace Kcptun.Kcp;

/// <summary>
/// One queued or in-flight segment. Data lives in a pooled buffer (<see cref="Data"/>[..<see cref="Length"/>]);
/// the header fields that are fixed per flush (conv, wnd, una) are not stored.
/// </summary>
internal struct KcpSegment
{
    public byte[]? Data;
    public int Length;
    public uint SequenceNumber;
    public uint Timestamp;

    /// <summary>Next retransmission time (Go: resendts).</summary>
    public uint ResendAt;

    /// <summary>Current retransmission timeout of this segment (Go: rto).</summary>
    public uint Rto;

    /// <summary>Transmission count (Go: xmit).</summary>
    public uint Transmissions;

    /// <summary>Count of later ACKs seen while this one stayed unacknowledged (Go: fastack).</summary>
    public uint FastAck;

    /// <summary>Delivery state at the last transmission, for the rate controller's samples (unused under kcp).</summary>
    public Congestion.DeliverySnapshot Delivery;

    public byte Fragment;

    /// <summary>First sent past snd_una + rmt_wnd (bbr's window reach, KcpControlBlock.Reach.cs).</summary>
    public bool PastWindow;

    /// <summary>Acknowledged by sn but still in the send buffer until una passes it (kcp-go's lazy removal).</summary>
    public bool Acknowledged;
}
