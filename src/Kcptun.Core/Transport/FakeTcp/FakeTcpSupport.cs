using System.Net.Sockets;

namespace Kcptun.Transport.FakeTcp;

/// <summary>Checks, before anything is sent, that <c>--tcp</c> can work on this machine.</summary>
public static class FakeTcpSupport
{
    /// <summary>
    /// Throws <see cref="FakeTcpException"/> with what is missing: Linux, a raw socket (CAP_NET_RAW), iptables or the
    /// right to use it (CAP_NET_ADMIN). Removes the rules a killed earlier run left behind on the way.
    /// </summary>
    public static void EnsureAvailable()
    {
        RawTcpSockets.EnsurePlatform();
        using (RawTcpSockets.Open(AddressFamily.InterNetwork, 0))
        {
        }

        FirewallTool.RemoveStaleRules(AddressFamily.InterNetwork);
    }
}
