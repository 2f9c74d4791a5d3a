using Kcptun.Transport;

namespace Kcptun.Tunnel;

/// <summary>What <see cref="SessionWatch"/> concluded from one look at a session.</summary>
internal enum SessionVerdict
{
    /// <summary>Nothing to do.</summary>
    Healthy,

    /// <summary>Sent for a while and never heard anything back: log the hint (once per session).</summary>
    NeverAnswered,

    /// <summary>The peer acknowledged new data while reporting older data missing: it restarted. Close the session.</summary>
    PeerRestarted,

    /// <summary>The peer answered before, and now data has waited for it and nothing came back for many RTOs: give new
    /// streams a new session (the old one keeps its streams until smux's keep-alive ends it, should the peer be back).</summary>
    PeerSilent,
}

/// <summary>
/// Dead-peer detection for one client session, from <see cref="KcpLiveness"/> snapshots (pure: time comes in the
/// snapshot). A restarted kcptun server takes our next datagram for a new conversation (docs/protocol/kcp.md §6.12): it either
/// acknowledges our segment while its una says it has nothing (proof, see <see cref="KcpLiveness.PeerRegressions"/>),
/// or, when our sequence numbers are beyond its receive window, stays silent. Without this the client found out only
/// through smux's 30 s keep-alive, and every connection made meanwhile hung.
/// </summary>
internal sealed class SessionWatch
{
    /// <summary>How long a session may send without any answer before the hint is logged.</summary>
    public static readonly TimeSpan NoAnswerHint = TimeSpan.FromSeconds(5);

    /// <summary>The least silence with data outstanding that counts as a dead peer, whatever the RTO. 3 s plus the
    /// <see cref="Period"/> and a new session's first round trip keeps a restart within 5 s even when the server drops
    /// our segments silently (4 s plus a 1 s period took up to 5.6 s).</summary>
    public static readonly TimeSpan SilenceFloor = TimeSpan.FromSeconds(3);

    /// <summary>Silence must also last this many RTO estimates (a 600 ms path needs about 8 s).</summary>
    public const int SilenceRtos = 10;

    /// <summary>The most silence it takes, whatever the RTO. KCP's RTO follows the RTT variance, and one slow sample
    /// (a session's first round trips while a loaded machine starts up, JIT and all) can leave it at seconds for a
    /// while: 10 such RTOs made an outage wait 20 s and more to be noticed. Above this the RTO says more about the
    /// estimate than the path, and a false alarm costs only a new session for new streams.</summary>
    public static readonly TimeSpan SilenceCeiling = TimeSpan.FromSeconds(10);

    /// <summary>How often the client looks at each session: one lock and a few reads per session.</summary>
    public static readonly TimeSpan Period = TimeSpan.FromMilliseconds(250);

    private bool _hinted;

    /// <summary>Looks at one snapshot; <see cref="SessionVerdict.NeverAnswered"/> is returned once.</summary>
    public SessionVerdict Check(in KcpLiveness liveness)
    {
        if (liveness.PeerRegressions > 0)
        {
            return SessionVerdict.PeerRestarted;
        }

        if (liveness.FirstSent < 0)
        {
            return SessionVerdict.Healthy;
        }

        if (liveness.LastReceived < 0)
        {
            if (!_hinted && liveness.Now - liveness.FirstSent >= (long)NoAnswerHint.TotalMilliseconds)
            {
                _hinted = true;
                return SessionVerdict.NeverAnswered;
            }

            // Never answered: a new session would fare no better (wrong key, server down); the first one's
            // retransmissions reach a server that comes up.
            return SessionVerdict.Healthy;
        }

        if (liveness.OutstandingSince < 0)
        {
            return SessionVerdict.Healthy;
        }

        long limit = Math.Clamp((long)SilenceRtos * liveness.RetransmissionTimeout,
            (long)SilenceFloor.TotalMilliseconds, (long)SilenceCeiling.TotalMilliseconds);
        bool waited = liveness.Now - liveness.OutstandingSince >= limit;
        bool silent = liveness.Now - liveness.LastReceived >= limit;
        return waited && silent ? SessionVerdict.PeerSilent : SessionVerdict.Healthy;
    }
}
