namespace Kcptun.Kcp;

/// <summary>The command byte of a KCP segment (docs/protocol/kcp.md §6.2).</summary>
#pragma warning disable CA1028 // The wire field is one byte.
public enum KcpCommand : byte
#pragma warning restore CA1028
{
    /// <summary>81: carries stream data (Go: IKCP_CMD_PUSH).</summary>
    Push = 81,

    /// <summary>82: acknowledges one PUSH by sn, echoing its ts (Go: IKCP_CMD_ACK).</summary>
    Ack = 82,

    /// <summary>83: asks the peer to announce its window (Go: IKCP_CMD_WASK).</summary>
    WindowAsk = 83,

    /// <summary>84: announces the sender's window (Go: IKCP_CMD_WINS).</summary>
    WindowTell = 84,
}
