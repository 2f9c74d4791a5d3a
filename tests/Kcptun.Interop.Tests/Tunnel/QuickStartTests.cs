using System.Net;
using System.Net.Sockets;
using System.Text;
using Kcptun.Interop.Tests.Support;

namespace Kcptun.Interop.Tests.Tunnel;

/// <summary>
/// The README's quick start with the built programs: our server in front of a local TCP service, our client in
/// front of the server, a fetch through the tunnel; then the signals: SIGUSR1 dumps the counters, SIGTERM exits 0.
/// </summary>
public sealed class QuickStartTests : IAsyncDisposable
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(60);
    private readonly Socket _service = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private readonly CancellationTokenSource _stop = new();
    private readonly byte[] _body = new byte[2 * 1024 * 1024];
    private Task? _serviceLoop;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _service.Dispose();
        if (_serviceLoop is not null)
        {
            await _serviceLoop.ContinueWith(_ => { });
        }

        _stop.Dispose();
    }

    [Fact]
    public async Task Fetch_through_our_server_and_client()
    {
        new Random(11).NextBytes(_body);
        _service.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _service.Listen();
        _serviceLoop = ServeHttpAsync();
        var servicePort = ((IPEndPoint)_service.LocalEndPoint!).Port;
        var udpPort = LoopbackPorts.Free(SocketType.Dgram);
        var tcpPort = LoopbackPorts.Free(SocketType.Stream);

        // README: kcptun-server -t 127.0.0.1:8388 -l :4000 -mode fast2 / kcptun-client -r SERVER:4000 -l :8388 -mode fast2
        using var server = ProgramProcess.Start(ProgramProcess.Locate("Kcptun.Server", "kcptun-server"), "-t", $"127.0.0.1:{servicePort}", "-l", $":{udpPort}", "-mode", "fast2");
        using var client = ProgramProcess.Start(ProgramProcess.Locate("Kcptun.Client", "kcptun-client"), "-r", $"127.0.0.1:{udpPort}", "-l", $":{tcpPort}", "-mode", "fast2");
        await server.WaitForAsync("key derivation done", s_timeout);
        await client.WaitForAsync("key derivation done", s_timeout);

        using var http = new HttpClient { Timeout = s_timeout };
        var fetched = await http.GetByteArrayAsync(new Uri($"http://127.0.0.1:{tcpPort}/"));
        Assert.Equal(_body, fetched);
        await server.WaitForAsync("(detected: compressed, smux v2)", s_timeout);
        await client.WaitForAsync("stream closed in: 127.0.0.1:", s_timeout);

        client.Signal("USR1");
        await client.WaitForAsync("KCP SNMP:&{BytesSent:", s_timeout);
        client.Signal("TERM");
        server.Signal("INT");
        Assert.Equal(0, await client.WaitForExitAsync(s_timeout));
        Assert.Equal(0, await server.WaitForExitAsync(s_timeout));
        Assert.Matches(@"\d{4}/\d\d/\d\d \d\d:\d\d:\d\d stream opened in: 127\.0\.0\.1:\d+ out: 127\.0\.0\.1:\d+\(3\)", client.Log);
    }

    [Fact]
    public async Task Bad_configuration_exits_non_zero_from_the_real_program()
    {
        using var client = ProgramProcess.Start(ProgramProcess.Locate("Kcptun.Client", "kcptun-client"), "--crypt", "rot13", "--conn", "0");
        Assert.Equal(255, await client.WaitForExitAsync(s_timeout)); // Go's status for a bad configuration
        Assert.Contains("--crypt: unknown cipher \"rot13\"; valid values:", client.Log, StringComparison.Ordinal);
        Assert.Contains("--conn must be greater than 0", client.Log, StringComparison.Ordinal);
    }

    // A minimal HTTP/1.0 service: read the request head, answer with the body, close.
    private async Task ServeHttpAsync()
    {
        while (true)
        {
            Socket connection;
            try
            {
                connection = await _service.AcceptAsync(_stop.Token);
            }
            catch (Exception)
            {
                return;
            }

            await using var stream = new NetworkStream(connection, ownsSocket: true);
            var head = new StringBuilder();
            var buffer = new byte[4096];
            while (!head.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
            {
                var n = await stream.ReadAsync(buffer, _stop.Token);
                if (n == 0)
                {
                    break;
                }

                head.Append(Encoding.ASCII.GetString(buffer, 0, n));
            }

            await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.0 200 OK\r\nContent-Length: {_body.Length}\r\nContent-Type: application/octet-stream\r\n\r\n"), _stop.Token);
            await stream.WriteAsync(_body, _stop.Token);
        }
    }
}
