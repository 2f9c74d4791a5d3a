namespace Kcptun.Smux;

/// <summary>The smux frame commands (docs/protocol/smux.md §8.2).</summary>
public enum SmuxCommand : byte
{
    /// <summary>Opens a stream (no payload). Go name: cmdSYN.</summary>
    Syn = 0,

    /// <summary>Closes a stream; the peer's reads drain and then see end of stream (no payload).</summary>
    Fin = 1,

    /// <summary>Carries stream data (1 to 65535 bytes of payload).</summary>
    Push = 2,

    /// <summary>Keepalive on stream id 0 (no payload).</summary>
    Nop = 3,

    /// <summary>Version 2 window update: consumed u32 LE, window u32 LE (8 bytes of payload).</summary>
    Update = 4,
}
