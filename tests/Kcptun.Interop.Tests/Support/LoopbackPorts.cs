using System.Net;
using System.Net.Sockets;

namespace Kcptun.Interop.Tests.Support;

/// <summary>Ports for programs that cannot be told to bind port 0 and report it.</summary>
internal static class LoopbackPorts
{
    /// <summary>A loopback port that was free a moment ago (bind to port 0, release). Callers retry on a collision.</summary>
    public static int Free(SocketType type)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, type, type == SocketType.Dgram ? ProtocolType.Udp : ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
