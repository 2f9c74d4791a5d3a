using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace Kcptun.Tests.Support;

/// <summary>
/// A tunnel's target: a loopback TCP echo service (port 0) that also records the SHA-256 of everything each
/// connection sent, so a test can check what crossed the tunnel, not only what came back. Shared by both test
/// projects (compiled into each from tests/Shared).
/// </summary>
internal sealed class EchoTarget : IAsyncDisposable
{
    private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _acceptLoop;
    private readonly ConcurrentBag<Task> _connections = [];
    private long _bytes;

    public EchoTarget()
    {
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen();
        _acceptLoop = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndPoint!).Port;

    public string Address => $"127.0.0.1:{Port}";

    /// <summary>SHA-256 (hex) of the bytes each finished connection received.</summary>
    public ConcurrentBag<string> Received { get; } = [];

    public int Accepted => _connections.Count;

    /// <summary>Bytes received on all connections so far.</summary>
    public long BytesReceived => Interlocked.Read(ref _bytes);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        await _acceptLoop.ContinueWith(_ => { });
        await Task.WhenAll(_connections).ContinueWith(_ => { });
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync(_stop.Token);
            }
            catch (Exception)
            {
                return;
            }

            _connections.Add(EchoAsync(socket));
        }
    }

    private async Task EchoAsync(Socket socket)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await using var stream = new NetworkStream(socket, ownsSocket: true);
        var buffer = new byte[32768];
        try
        {
            while (true)
            {
                var n = await stream.ReadAsync(buffer, _stop.Token);
                if (n == 0)
                {
                    break;
                }

                Interlocked.Add(ref _bytes, n);
                hash.AppendData(buffer, 0, n);
                await stream.WriteAsync(buffer.AsMemory(0, n), _stop.Token);
            }
        }
        catch (Exception)
        {
            return;
        }

        Received.Add(Convert.ToHexStringLower(hash.GetHashAndReset()));
    }
}
