using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Kcptun.Cli.Hosting;
using Kcptun.Interop.Tests.Support;
using Kcptun.Tunnel;

namespace Kcptun.Interop.Tests.Reliability;

/// <summary>
/// Our client (in-process) in front of a server under test (ours or a Go generation), optionally through a
/// <see cref="PausableUdpRelay"/>, on loopback. Everything is stopped by <see cref="DisposeAsync"/>.
/// </summary>
internal sealed class ReliabilityRig : IAsyncDisposable
{
    public static readonly string[] Common = ["--key", "reliability", "--crypt", "aes", "--mode", "fast", "--smuxver", "1"];

    private readonly StringWriter _text = new();
    private readonly TextWriter _log;
    private IAsyncDisposable? _server;
    private InProcessProgram? _client;
    private string[] _clientArguments = [];

    private ReliabilityRig()
    {
        _log = TextWriter.Synchronized(_text);
    }

    public PausableUdpRelay? Relay { get; private set; }

    /// <summary>The client's local port.</summary>
    public int LocalPort { get; private set; }

    /// <summary>What our client logged so far.</summary>
    public string ClientLog
    {
        get
        {
            lock (_log)
            {
                return _text.ToString();
            }
        }
    }

    public static IEnumerable<string> AvailableServers() =>
        new[] { "ours" }.Concat(GoPeers.All.Where(p => p.Available).Select(p => p.Name));

    public static Task<ReliabilityRig> StartAsync(string server, string target, bool relay, CancellationToken ct, params string[] clientExtra) =>
        StartAsync(server, target, relay ? p => new PausableUdpRelay(p) : null, ct, clientExtra);

    /// <summary>As above, the client's datagrams through the relay <paramref name="relay"/> makes for the server's port.</summary>
    public static Task<ReliabilityRig> StartAsync(string server, string target, Func<int, PausableUdpRelay>? relay, CancellationToken ct, params string[] clientExtra) =>
        StartCoreAsync(server, target, relay, Common, clientExtra, ct);

    /// <summary>As <see cref="StartAsync(string, string, bool, CancellationToken, string[])"/> without a relay, both
    /// ends on smux v2 (per-stream windows).</summary>
    public static Task<ReliabilityRig> StartSmuxV2Async(string server, string target, CancellationToken ct) =>
        StartCoreAsync(server, target, null, [.. Common[..^2], "--smuxver", "2"], [], ct);

    private static async Task<ReliabilityRig> StartCoreAsync(string server, string target, Func<int, PausableUdpRelay>? relay, string[] common, string[] clientExtra, CancellationToken ct)
    {
        var rig = new ReliabilityRig();
        var port = LoopbackPorts.Free(SocketType.Dgram);
        rig._server = await ServerUnderTest.StartAsync(server, ["-t", target, "-l", $"127.0.0.1:{port}", .. common], ct);
        if (relay is not null)
        {
            rig.Relay = relay(port);
            port = rig.Relay.Port;
        }

        rig._clientArguments = ["-l", "127.0.0.1:0", "-r", $"127.0.0.1:{port}", .. common, .. clientExtra];
        rig._client = new InProcessProgram(ClientProgram.RunAsync, rig._clientArguments, rig._log);
        rig.LocalPort = await rig._client.ListeningAsync(ct);
        return rig;
    }

    /// <summary>Stops our client and starts it again (a new UDP socket and conversation, a new local port), as a
    /// restarted client process is.</summary>
    public async Task RestartClientAsync(CancellationToken ct)
    {
        await _client!.DisposeAsync();
        _client = new InProcessProgram(ClientProgram.RunAsync, _clientArguments, _log);
        LocalPort = await _client.ListeningAsync(ct);
    }

    public async Task<NetworkStream> ConnectAsync(CancellationToken ct)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, LocalPort), ct);
        return new NetworkStream(socket, ownsSocket: true);
    }

    /// <summary>One new connection: <paramref name="size"/> random bytes out, the same back within <paramref name="limit"/>.</summary>
    public async Task<bool> EchoAsync(int size, TimeSpan limit, CancellationToken ct)
    {
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(ct);
        attempt.CancelAfter(limit);
        try
        {
            await using var stream = await ConnectAsync(attempt.Token);
            return await EchoOnAsync(stream, size, attempt.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or EndOfStreamException)
        {
            ct.ThrowIfCancellationRequested();
            return false;
        }
    }

    /// <summary>Echo on an open connection; true when the bytes came back intact.</summary>
    public static async Task<bool> EchoOnAsync(Stream stream, int size, CancellationToken ct)
    {
        var data = new byte[size];
        Random.Shared.NextBytes(data);
        var write = stream.WriteAsync(data, ct).AsTask();
        var echo = new byte[size];
        await stream.ReadExactlyAsync(echo, ct);
        await write;
        return echo.AsSpan().SequenceEqual(data);
    }

    /// <summary>Tries a new echo connection until one works; returns how long it took.</summary>
    public async Task<TimeSpan> TimeUntilEchoAsync(TimeSpan attempt, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        while (!await EchoAsync(4096, attempt, ct))
        {
            await Task.Delay(100, ct);
        }

        return clock.Elapsed;
    }

    public async ValueTask DisposeAsync()
    {
        if (_client is not null)
        {
            await _client.DisposeAsync();
        }

        if (Relay is not null)
        {
            await Relay.DisposeAsync();
        }

        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
