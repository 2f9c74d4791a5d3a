using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Kcptun.Cli.Configuration;
using Kcptun.Tests.Support;
using Kcptun.Tunnel;

namespace Kcptun.Tests.Tunnel;

/// <summary>
/// Our client and server joined by loopback TCP instead of KCP (the tunnel logic only needs a reliable duplex
/// stream), in front of an <see cref="EchoTarget"/>. Everything on port 0; everything stopped in DisposeAsync.
/// </summary>
internal sealed class TunnelHarness : IAsyncDisposable
{
    private readonly Socket _transportListener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private readonly Socket _localListener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _sessions = [];
    private readonly List<Socket> _transportSockets = [];
    private readonly Task _serverLoop;
    private readonly Task _clientLoop;
    private readonly StringWriter _clientText = new();
    private readonly StringWriter _serverText = new();
    private readonly TextWriter _clientLog;
    private readonly TextWriter _serverLog;

    public TunnelHarness(ClientOptions client, ServerOptions server, Func<Stream, Stream>? compress = null, EchoTarget? target = null, TimeProvider? clientTime = null)
    {
        Target = target ?? new EchoTarget();
        compress ??= s => throw new NotSupportedException("no compression in this harness");
        _clientLog = TextWriter.Synchronized(_clientText);
        _serverLog = TextWriter.Synchronized(_serverText);
        _transportListener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _transportListener.Listen();
        _localListener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _localListener.Listen();
        Server = new TunnelServer(RuntimeBinding.Server(server with { Target = server.Target == new ServerOptions().Target ? Target.Address : server.Target }), new TunnelLog(_serverLog), compress);
        Client = new TunnelClient(RuntimeBinding.Client(client), new TunnelLog(_clientLog), DialAsync, compress, clientTime);
        _serverLoop = ServeAsync();
        _clientLoop = Client.RunAsync(_localListener, _stop.Token);
    }

    public EchoTarget Target { get; }

    public TunnelServer Server { get; }

    public TunnelClient Client { get; }

    public string ClientLog => Read(_clientLog, _clientText);

    public string ServerLog => Read(_serverLog, _serverText);

    public int TransportConnections
    {
        get
        {
            lock (_transportSockets)
            {
                return _transportSockets.Count;
            }
        }
    }

    public IPEndPoint LocalEndPoint => (IPEndPoint)_localListener.LocalEndPoint!;

    /// <summary>Cuts every transport connection, as a dead UDP path would.</summary>
    public void CutTransport()
    {
        lock (_transportSockets)
        {
            foreach (var socket in _transportSockets)
            {
                socket.Dispose();
            }
        }
    }

    /// <summary>Connects to the client's local listener.</summary>
    public async Task<NetworkStream> ConnectAsync()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(LocalEndPoint);
        return new NetworkStream(socket, ownsSocket: true);
    }

    /// <summary>Sends <paramref name="size"/> random bytes on a new connection, reads the echo, checks it.</summary>
    public async Task<string> RoundTripAsync(int size, int seed)
    {
        var data = new byte[size];
        new Random(seed).NextBytes(data);
        await using var stream = await ConnectAsync();
        var write = Task.Run(async () => await stream.WriteAsync(data));
        var echo = new byte[size];
        await stream.ReadExactlyAsync(echo).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        await write;
        Assert.True(data.AsSpan().SequenceEqual(echo), "echo differs");
        return Convert.ToHexStringLower(SHA256.HashData(data));
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _clientLoop.WaitAsync(TimeSpan.FromSeconds(20));
        await Client.DisposeAsync();
        _transportListener.Dispose();
        await _serverLoop.ContinueWith(_ => { });
        await Server.DisposeAsync();
        CutTransport();
        Task[] sessions;
        lock (_sessions)
        {
            sessions = [.. _sessions];
        }

        await Task.WhenAll(sessions).WaitAsync(TimeSpan.FromSeconds(20));
        _localListener.Dispose();
        await Target.DisposeAsync();
        _stop.Dispose();
    }

    // TextWriter.Synchronized locks the wrapper itself; read the text under the same lock.
    private static string Read(TextWriter writer, StringWriter text)
    {
        lock (writer)
        {
            return text.ToString();
        }
    }

    private async ValueTask<TransportConnection> DialAsync(CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(_transportListener.LocalEndPoint!, cancellationToken);
        return new TransportConnection(new NetworkStream(socket, ownsSocket: true), socket.LocalEndPoint!.ToString()!, socket.RemoteEndPoint!.ToString()!);
    }

    private async Task ServeAsync()
    {
        while (true)
        {
            Socket socket;
            try
            {
                socket = await _transportListener.AcceptAsync(_stop.Token);
            }
            catch (Exception)
            {
                return;
            }

            socket.NoDelay = true;
            lock (_transportSockets)
            {
                _transportSockets.Add(socket);
            }

            var session = Server.ServeConnectionAsync(new NetworkStream(socket, ownsSocket: true), socket.LocalEndPoint!.ToString()!, socket.RemoteEndPoint!.ToString()!, _stop.Token);
            lock (_sessions)
            {
                _sessions.Add(session);
            }
        }
    }
}
