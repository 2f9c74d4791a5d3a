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

    /// <summary>
    /// The first of <paramref name="count"/> consecutive loopback UDP ports that were all free a moment ago (for the
    /// latest generation's <c>host:min-max</c> addresses): an ephemeral port and the ones after it, all bound at once,
    /// then released.
    /// </summary>
    public static int FreeUdpRange(int count)
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var sockets = new List<Socket>();
            try
            {
                var first = Free(SocketType.Dgram);
                if (first + count - 1 > IPEndPoint.MaxPort)
                {
                    continue;
                }

                for (var port = first; port < first + count; port++)
                {
                    var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                    sockets.Add(socket);
                    socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
                }

                return first;
            }
            catch (SocketException)
            {
                // One of the following ports is taken: try another start.
            }
            finally
            {
                foreach (var socket in sockets)
                {
                    socket.Dispose();
                }
            }
        }

        throw new InvalidOperationException($"no {count} consecutive free UDP ports found on loopback");
    }
}
