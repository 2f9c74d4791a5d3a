using System.Diagnostics;

namespace Kcptun.Transport;

/// <summary>
/// The millisecond clock every session feeds to KCP and FEC: milliseconds since the process started using the
/// transport (KCP peers only echo timestamps, so any monotonic clock interoperates; docs/protocol/kcp.md §6.13).
/// </summary>
internal static class KcpClock
{
    private static readonly long Origin = Stopwatch.GetTimestamp();

    /// <summary>Milliseconds since the origin, 64-bit.</summary>
    public static long NowMilliseconds => (long)Stopwatch.GetElapsedTime(Origin).TotalMilliseconds;

    /// <summary>The same clock as KCP's wrapping 32-bit <c>current</c>.</summary>
    public static uint Now => unchecked((uint)NowMilliseconds);
}
