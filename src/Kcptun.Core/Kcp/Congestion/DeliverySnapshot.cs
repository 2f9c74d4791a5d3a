namespace Kcptun.Kcp.Congestion;

/// <summary>
/// The connection's delivery state when a segment was (last) transmitted, kept with the segment so its ACK can turn
/// into a delivery-rate sample (draft-cheng-iccrg-delivery-rate-estimation: C.delivered, C.delivered_time,
/// C.first_sent_time, C.is_app_limited at send).
/// </summary>
internal struct DeliverySnapshot
{
    /// <summary>Bytes delivered (acknowledged) on the connection before this transmission.</summary>
    public long Delivered;

    /// <summary>
    /// Bytes delivered at <see cref="DeliveredTime"/>, where this segment's rate sample starts: <see cref="Delivered"/>,
    /// or, when the transmission fell in a ms in which ACKs were (and may still be) processed, the bytes delivered before
    /// that ms. Each delivered segment counts its bytes times the wire factor it was sent at
    /// (<see cref="BbrController.WireFactor"/>), so a sample measures what crossed the path.
    /// </summary>
    public double IntervalDeliveredWire;

    /// <summary>When <see cref="IntervalDeliveredWire"/> was last reached (ms): the start of this segment's rate sample.</summary>
    public uint DeliveredTime;

    /// <summary>Send time of the segment that opened the current sending interval (ms).</summary>
    public uint FirstSentTime;

    /// <summary>Bytes transmitted on the connection (retransmissions included) up to and including this transmission.</summary>
    public long Sent;

    /// <summary>The segment was sent while the application, not the path, limited the rate.</summary>
    public bool AppLimited;

    /// <summary>Wire bytes per KCP byte when the segment was sent (<see cref="BbrController.WireFactor"/>).</summary>
    public double WireFactor;
}
