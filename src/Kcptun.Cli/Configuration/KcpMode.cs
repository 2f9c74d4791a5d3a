namespace Kcptun.Cli.Configuration;

/// <summary>The four KCP "nodelay" parameters kcptun passes to every session (docs/protocol/kcp.md §7.1).</summary>
/// <param name="NoDelay">0 = minimum RTO 100 ms, linear back-off by RTO; non-zero = 30 ms, back-off by RTO/2.</param>
/// <param name="Interval">Internal update interval in milliseconds (KCP clamps it to 10..5000).</param>
/// <param name="Resend">Fast retransmit after this many later ACKs (0 = off).</param>
/// <param name="NoCongestionControl">1 = congestion window off.</param>
public readonly record struct KcpTuning(int NoDelay, int Interval, int Resend, int NoCongestionControl);

/// <summary>The <c>--mode</c> profiles, in one table.</summary>
public static class KcpModes
{
    /// <summary>Mode that takes its values from <c>--nodelay --interval --resend --nc</c>.</summary>
    public const string Manual = "manual";

    /// <summary>Every accepted <c>--mode</c> value, in the order the help lists them.</summary>
    public static IReadOnlyList<string> Names { get; } = ["fast3", "fast2", "fast", "normal", Manual];

    /// <summary>The preset of a named profile; null for <c>manual</c> (and for unknown names).</summary>
    public static KcpTuning? Preset(string mode) => mode switch
    {
        "normal" => new KcpTuning(0, 40, 2, 1),
        "fast" => new KcpTuning(0, 30, 2, 1),
        "fast2" => new KcpTuning(1, 20, 2, 1),
        "fast3" => new KcpTuning(1, 10, 2, 1),
        _ => null,
    };

    /// <summary>Whether <paramref name="mode"/> is accepted (exact, case-sensitive like kcptun).</summary>
    public static bool IsKnown(string mode) => Names.Contains(mode, StringComparer.Ordinal);
}
