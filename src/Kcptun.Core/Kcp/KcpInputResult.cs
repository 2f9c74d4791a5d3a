namespace Kcptun.Kcp;

/// <summary>
/// What <see cref="KcpControlBlock.Input"/> made of a packet. Segments before a bad one stay processed, as in kcp-go;
/// the first bad segment ends the packet. kcp-go's ikcp_input returns 0, -1 (too short or foreign conversation),
/// -2 (truncated) or -3 (unknown command); <see cref="FragmentOutOfWindow"/> has no Go counterpart.
/// </summary>
public enum KcpInputResult
{
    /// <summary>Every segment was processed (Go 0).</summary>
    Accepted = 0,

    /// <summary>The packet is shorter than one 24-byte segment header (Go -1).</summary>
    TooShort,

    /// <summary>A segment carries another conversation id (Go -1).</summary>
    ForeignConversation,

    /// <summary>A segment's len field exceeds the bytes that follow its header (Go -2).</summary>
    Truncated,

    /// <summary>A segment's command byte is not PUSH, ACK, WASK or WINS (Go -3).</summary>
    UnknownCommand,

    /// <summary>
    /// Message mode: a PUSH whose frg could never be reassembled inside the receive window (frg ≥ receive window).
    /// kcp-go accepts it and stalls its receive queue for good.
    /// </summary>
    FragmentOutOfWindow,
}
