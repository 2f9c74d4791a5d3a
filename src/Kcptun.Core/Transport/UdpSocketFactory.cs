using System.Net;
using System.Net.Sockets;

namespace Kcptun.Transport;

/// <summary>
/// Creates and configures the UDP sockets (docs/protocol/kcp.md §6.12 and 7.2): a client socket per session bound
/// to the wildcard address (IPv4 only for an IPv4 server, otherwise dual stack), or the listener's socket.
/// Buffer sizes and DSCP are best effort: failures are logged with the Go messages, never thrown.
/// </summary>
internal static class UdpSocketFactory
{
    // Linux <netinet/in.h>: IPV6_TCLASS. Other systems differ; there the IPv6 DSCP setting just logs a failure.
    private const int LinuxIpv6TrafficClass = 67;

    /// <summary>A socket for a session that talks to <paramref name="remote"/>.</summary>
    public static Socket CreateClient(IPEndPoint remote, KcpSessionOptions options)
    {
        Socket socket;
        if (remote.AddressFamily == AddressFamily.InterNetwork)
        {
            socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            Bind(socket, new IPEndPoint(IPAddress.Any, 0));
        }
        else
        {
            socket = new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp) { DualMode = true };
            Bind(socket, new IPEndPoint(IPAddress.IPv6Any, 0));
        }

        Configure(socket, options);
        return socket;
    }

    /// <summary>The listening socket; an IPv6 wildcard address listens dual stack.</summary>
    public static Socket CreateListener(IPEndPoint local, KcpSessionOptions options)
    {
        var socket = new Socket(local.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        if (local.AddressFamily == AddressFamily.InterNetworkV6 && local.Address.Equals(IPAddress.IPv6Any))
        {
            socket.DualMode = true;
        }

        Bind(socket, local);
        Configure(socket, options);
        return socket;
    }

    private static void Bind(Socket socket, IPEndPoint local)
    {
        try
        {
            socket.Bind(local);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static void Configure(Socket socket, KcpSessionOptions options)
    {
        Action<string>? log = options.Log;
        if (options.SocketBuffer > 0)
        {
            Try(() => socket.ReceiveBufferSize = options.SocketBuffer, "SetReadBuffer", log);
            Try(() => socket.SendBufferSize = options.SocketBuffer, "SetWriteBuffer", log);
        }

        if (options.Dscp != 0)
        {
            SetDscp(socket, options.Dscp, log);
        }
    }

    /// <summary>IPv4: IP_TOS = dscp &lt;&lt; 2; IPv6: IPV6_TCLASS = dscp; a dual-stack socket gets both. Success if either works.</summary>
    private static void SetDscp(Socket socket, int dscp, Action<string>? log)
    {
        string? error = null;
        bool succeeded = false;
        if (socket.AddressFamily == AddressFamily.InterNetwork || socket.DualMode)
        {
            succeeded |= TryOption(() => socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.TypeOfService,
                (dscp << 2) & 0xFF), ref error);
        }

        if (socket.AddressFamily == AddressFamily.InterNetworkV6)
        {
            succeeded |= TryOption(() =>
            {
                if (!OperatingSystem.IsLinux())
                {
                    throw new PlatformNotSupportedException("IPV6_TCLASS is only set on Linux");
                }

                socket.SetRawSocketOption((int)SocketOptionLevel.IPv6, LinuxIpv6TrafficClass,
                    BitConverter.GetBytes(dscp));
            }, ref error);
        }

        if (!succeeded)
        {
            log?.Invoke($"SetDSCP: {error}");
        }
    }

    private static bool TryOption(Action set, ref string? error)
    {
        try
        {
            set();
            return true;
        }
        catch (Exception e) when (e is SocketException or PlatformNotSupportedException)
        {
            error = e.Message;
            return false;
        }
    }

    private static void Try(Action set, string what, Action<string>? log)
    {
        string? error = null;
        if (!TryOption(set, ref error))
        {
            log?.Invoke($"{what}: {error}");
        }
    }
}
