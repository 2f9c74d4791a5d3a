using System.Net;
using System.Net.Sockets;

namespace Kcptun.Tests.Tunnel;

/// <summary>Two connected loopback TCP streams (port 0), for tests that need real sockets.</summary>
internal sealed class SocketPair : IDisposable
{
    private SocketPair(NetworkStream left, NetworkStream right)
    {
        Left = left;
        Right = right;
    }

    public NetworkStream Left { get; }

    public NetworkStream Right { get; }

    public static async Task<SocketPair> CreateAsync()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var accept = listener.AcceptAsync();
        await client.ConnectAsync(listener.LocalEndPoint!);
        var server = await accept.WaitAsync(TimeSpan.FromSeconds(10));
        return new SocketPair(new NetworkStream(client, ownsSocket: true), new NetworkStream(server, ownsSocket: true));
    }

    public void Dispose()
    {
        Left.Dispose();
        Right.Dispose();
    }
}
