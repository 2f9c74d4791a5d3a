using Kcptun.Crypto;
using Kcptun.Transport;
using Kcptun.Tunnel;

namespace Kcptun.Cli.Configuration;

/// <summary>The per-session KCP settings kcptun applies (docs/protocol/kcp.md §7.2), built from the options.</summary>
internal static class TransportSettings
{
    /// <summary>
    /// Session options with the mode profile applied and the cipher keyed once from <paramref name="derivedKey"/>
    /// (PBKDF2 is slow: one derivation per process, as kcptun does).
    /// </summary>
    public static KcpSessionOptions From(TunnelOptions options, byte[] derivedKey, TunnelLog log)
    {
        var kcp = options.Kcp;
        var crypt = options.Crypt;
        return new KcpSessionOptions
        {
            NoDelay = kcp.NoDelay,
            Interval = kcp.Interval,
            Resend = kcp.Resend,
            NoCongestionControl = kcp.NoCongestionControl,
            SendWindow = options.EffectiveSendWindow,
            ReceiveWindow = options.EffectiveReceiveWindow,
            Mtu = options.Mtu,
            AckNoDelay = options.AckNoDelay,
            StreamMode = true,
            Dscp = options.Dscp,
            SocketBuffer = options.SocketBuffer,
            DataShards = options.DataShards,
            ParityShards = options.ParityShards,
            AdaptiveFec = options.AdaptiveFec,
            AdaptiveReceiveWindow = options.CongestionControlKind == Kcptun.Kcp.Congestion.CongestionControl.Bbr,
            RepeatTailData = options.CongestionControlKind == Kcptun.Kcp.Congestion.CongestionControl.Bbr,
            RateLimit = Math.Max(options.RateLimit, 0),
            CongestionControl = options.CongestionControlKind,
            ProtectionFactory = () => PacketProtection.Create(crypt, derivedKey, CryptNames.Generation),
            Log = log.Write,
        };
    }
}
