namespace Kcptun.Kcp;

/// <summary>
/// Receives one datagram produced by <see cref="KcpControlBlock"/>. <paramref name="buffer"/>[..reserved] is free for
/// outer headers, the datagram is <paramref name="buffer"/>[..<paramref name="length"/>] (length includes the reserved
/// prefix) and the span's capacity is at least <see cref="KcpControlBlock.Mtu"/> + <see cref="KcpControlBlock.OutputSlack"/>.
/// The span is only valid during the call: copy or send it before returning, and do not call back into the control block.
/// </summary>
public delegate void KcpOutput(Span<byte> buffer, int length);
