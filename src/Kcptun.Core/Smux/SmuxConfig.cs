namespace Kcptun.Smux;

/// <summary>
/// Settings of one smux session (docs/protocol/smux.md §8.5 to 8.9). Defaults are smux's own
/// <c>DefaultConfig</c>; kcptun passes <c>--smuxver</c>, <c>--keepalive</c>, <c>--smuxbuf</c> and
/// <c>--streambuf</c> (default 2097152) over them.
/// </summary>
public sealed record SmuxConfig
{
    /// <summary>Protocol version, 1 or 2 (Debian kcptun default 1, latest 2). Both peers must agree.</summary>
    public int Version { get; init; } = 1;

    /// <summary>When true, no NOP is sent and a silent peer never closes the session.</summary>
    public bool KeepAliveDisabled { get; init; }

    /// <summary>How often a NOP keepalive is sent (default 10 s).</summary>
    public TimeSpan KeepAliveInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The session closes when no frame arrived during one such period (default 30 s).</summary>
    public TimeSpan KeepAliveTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Largest PSH payload this side sends (1 to 65535; default 32768).</summary>
    public int MaxFrameSize { get; init; } = 32768;

    /// <summary>Session receive budget in bytes: reading the connection pauses while it is used up (default 4 MiB).</summary>
    public int MaxReceiveBuffer { get; init; } = 4194304;

    /// <summary>Version 2 per-stream window announced to the peer (default 65536; kcptun passes 2 MiB).</summary>
    public int MaxStreamBuffer { get; init; } = 65536;

    /// <summary>
    /// How far a version 2 stream's announced window may grow past <see cref="MaxStreamBuffer"/> while its reader keeps
    /// up with the path (a .NET extension; 0, the default, or any value up to <see cref="MaxStreamBuffer"/> keeps the
    /// window fixed, as smux does). The window starts at <see cref="MaxStreamBuffer"/> and follows what the reader
    /// consumes per second, so one stream can fill a long, lossy path: every byte held behind a hole below smux (KCP
    /// delivers in order) counts against the window until it is repaired, so a fixed 2 MiB window capped a 100 ms,
    /// 100 Mbit/s path at 1-5% loss to 37-50 Mbit/s. What a stream holds unread stays within its window, and all
    /// streams together within <see cref="MaxReceiveBuffer"/> (docs/receive-window.md).
    /// </summary>
    public int StreamWindowLimit { get; init; }

    /// <summary>Whether version 2 stream windows grow (<see cref="StreamWindowLimit"/> above <see cref="MaxStreamBuffer"/>).</summary>
    internal bool AdaptiveStreamWindow => Version == 2 && StreamWindowLimit > MaxStreamBuffer;

    /// <summary>Throws <see cref="ArgumentException"/> with smux's wording when a setting is out of range.</summary>
    public void Validate()
    {
        if (Version is not (1 or 2))
        {
            throw new ArgumentException("unsupported protocol version", nameof(Version));
        }

        if (!KeepAliveDisabled)
        {
            if (KeepAliveInterval <= TimeSpan.Zero)
            {
                throw new ArgumentException("keep-alive interval must be positive", nameof(KeepAliveInterval));
            }

            if (KeepAliveTimeout < KeepAliveInterval)
            {
                throw new ArgumentException("keep-alive timeout must be larger than keep-alive interval", nameof(KeepAliveTimeout));
            }
        }

        if (MaxFrameSize <= 0)
        {
            throw new ArgumentException("max frame size must be positive", nameof(MaxFrameSize));
        }

        if (MaxFrameSize > ushort.MaxValue)
        {
            throw new ArgumentException("max frame size must not be larger than 65535", nameof(MaxFrameSize));
        }

        if (MaxReceiveBuffer <= 0)
        {
            throw new ArgumentException("max receive buffer must be positive", nameof(MaxReceiveBuffer));
        }

        if (MaxStreamBuffer <= 0)
        {
            throw new ArgumentException("max stream buffer must be positive", nameof(MaxStreamBuffer));
        }

        if (MaxStreamBuffer > MaxReceiveBuffer)
        {
            throw new ArgumentException("max stream buffer must not be larger than max receive buffer", nameof(MaxStreamBuffer));
        }

        if (StreamWindowLimit < 0)
        {
            throw new ArgumentException("stream window limit must not be negative", nameof(StreamWindowLimit));
        }
    }
}
