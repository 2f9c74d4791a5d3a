using System.Net;
using System.Net.Sockets;

namespace Kcptun.Transport.FakeTcp;

/// <summary>The raw sockets (<c>socket(AF_INET[6], SOCK_RAW, IPPROTO_TCP)</c>) and socket options --tcp needs.</summary>
internal static class RawTcpSockets
{
    // Linux <netinet/in.h>: IPPROTO_IP / IP_TTL, IPPROTO_IPV6 / IPV6_UNICAST_HOPS.
    private const int LevelIp = 0;
    private const int IpTimeToLive = 2;
    private const int LevelIpv6 = 41;
    private const int Ipv6UnicastHops = 16;

    /// <summary>Throws <see cref="FakeTcpException"/> unless this is Linux (tcpraw is Linux-only too).</summary>
    public static void EnsurePlatform()
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new FakeTcpException("--tcp (fake TCP over raw sockets) works on Linux only");
        }
    }

    /// <summary>Opens a raw TCP socket of <paramref name="family"/>; a clear error without CAP_NET_RAW.</summary>
    public static Socket Open(AddressFamily family, int bufferSize)
    {
        EnsurePlatform();
        Socket socket;
        try
        {
            socket = new Socket(family, SocketType.Raw, ProtocolType.Tcp);
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.AccessDenied or SocketError.OperationNotSupported
            or SocketError.ProtocolNotSupported || e.ErrorCode == 1)
        {
            throw new FakeTcpException(
                $"--tcp needs CAP_NET_RAW (and CAP_NET_ADMIN for the firewall rule): run as root, or grant them with " +
                $"`setcap cap_net_raw,cap_net_admin+ep <program>`; opening a raw socket failed: {e.Message}", e);
        }

        if (bufferSize > 0)
        {
            // Best effort, as kcp-go's SetReadBuffer/SetWriteBuffer on tcpraw's handles.
            TrySet(() => socket.ReceiveBufferSize = bufferSize);
            TrySet(() => socket.SendBufferSize = bufferSize);
        }

        return socket;
    }

    /// <summary>
    /// Sets the TTL (IPv4) or hop limit (IPv6) of a kernel TCP socket: 1 makes the firewall rule drop its segments,
    /// 64 lets its FIN out on close (tcpraw does both). An IPv6 socket gets both, for IPv4-mapped peers.
    /// </summary>
    public static void SetTimeToLive(Socket socket, int ttl)
    {
        Span<byte> value = BitConverter.GetBytes(ttl);
        if (socket.AddressFamily == AddressFamily.InterNetworkV6)
        {
            socket.SetRawSocketOption(LevelIpv6, Ipv6UnicastHops, value);
            if (socket.DualMode)
            {
                TrySet(() => socket.SetRawSocketOption(LevelIp, IpTimeToLive, BitConverter.GetBytes(ttl)));
            }
        }
        else
        {
            socket.SetRawSocketOption(LevelIp, IpTimeToLive, value);
        }
    }

    /// <summary>An IPv4-mapped IPv6 address as IPv4, anything else unchanged (raw IPv4 sockets see IPv4 peers).</summary>
    public static IPAddress Plain(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    /// <summary><paramref name="endPoint"/> with <see cref="Plain(IPAddress)"/> applied to its address.</summary>
    public static IPEndPoint Plain(IPEndPoint endPoint) =>
        endPoint.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(endPoint.Address.MapToIPv4(), endPoint.Port) : endPoint;

    private static void TrySet(Action set)
    {
        try
        {
            set();
        }
        catch (SocketException)
        {
            // Best effort.
        }
    }
}
