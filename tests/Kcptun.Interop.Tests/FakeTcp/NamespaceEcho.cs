using System.Net;
using System.Net.Sockets;

namespace Kcptun.Interop.Tests.FakeTcp;

/// <summary>A TCP echo service on 127.0.0.1:<see cref="Port"/> inside a network namespace (the tunnel's target).</summary>
internal sealed class NamespaceEcho : IDisposable
{
    public const int Port = 9000;

    private readonly Socket _listener;
    private readonly CancellationTokenSource _stop = new();

    public NamespaceEcho(string ns)
    {
        _listener = NetworkNamespaces.Within(ns, () =>
        {
            var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            listener.Bind(new IPEndPoint(IPAddress.Loopback, Port));
            listener.Listen(16);
            return listener;
        });
        _ = AcceptAsync();
    }

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                Socket connection = await _listener.AcceptAsync(_stop.Token);
                _ = EchoAsync(connection);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopped.
        }
    }

    private async Task EchoAsync(Socket connection)
    {
        using (connection)
        {
            byte[] buffer = new byte[65536];
            try
            {
                int n;
                while ((n = await connection.ReceiveAsync(buffer, SocketFlags.None, _stop.Token)) > 0)
                {
                    await connection.SendAsync(buffer.AsMemory(0, n), SocketFlags.None, _stop.Token);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                // Stopped or reset.
            }
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Dispose();
        _stop.Dispose();
    }
}
