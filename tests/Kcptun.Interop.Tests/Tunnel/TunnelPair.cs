using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Kcptun.Cli.Hosting;
using Kcptun.Interop.Tests.Support;
using Kcptun.Interop.Tests.Transport;
using Kcptun.Tests.Support;

namespace Kcptun.Interop.Tests.Tunnel;

/// <summary>
/// One side ours (run in-process through <see cref="TunnelProgram"/>), the other the real Go binary, in front of a
/// <see cref="EchoTarget"/>. Our side stops through its shutdown token (and must exit 0); the Go process is
/// killed by PID.
/// </summary>
internal sealed class TunnelPair : IAsyncDisposable
{
    public static string GoServer => GoPeers.Debian.Server;
    public static string GoClient => GoPeers.Debian.Client;

    private readonly CancellationTokenSource _shutdown = new();
    private readonly StringWriter _ourLog = new();
    private readonly TextWriter _ourLogWriter;
    private Task<int>? _ours;
    private GoKcptunProcess? _go;

    private TunnelPair(EchoTarget target)
    {
        Target = target;
        _ourLogWriter = TextWriter.Synchronized(_ourLog); // locks itself: read under the same lock below
    }

    public EchoTarget Target { get; }

    /// <summary>The client's local TCP port, where the application connects.</summary>
    public int LocalPort { get; private set; }

    public string OurLog
    {
        get
        {
            lock (_ourLogWriter)
            {
                return _ourLog.ToString();
            }
        }
    }

    public string GoLog => _go?.Log ?? "";

    /// <summary>Our client against the Go server (Debian's 20210922).</summary>
    public static Task<TunnelPair> OurClientAsync(string[] clientArgs, string[] serverArgs, CancellationToken ct) =>
        OurClientAsync(GoPeers.Debian, clientArgs, serverArgs, ct);

    /// <summary>Our client against the Go server of generation <paramref name="peer"/>.</summary>
    public static Task<TunnelPair> OurClientAsync(GoPeer peer, string[] clientArgs, string[] serverArgs, CancellationToken ct) =>
        OurClientAsync(peer, 1, clientArgs, serverArgs, ct);

    /// <summary>
    /// Our client against the Go server of generation <paramref name="peer"/>; with <paramref name="ports"/> &gt; 1 the
    /// server listens on that many consecutive UDP ports and the client is given the range (latest's
    /// <c>host:min-max</c>).
    /// </summary>
    public static async Task<TunnelPair> OurClientAsync(GoPeer peer, int ports, string[] clientArgs, string[] serverArgs, CancellationToken ct)
    {
        var pair = new TunnelPair(new EchoTarget());
        try
        {
            // Go needs a concrete UDP port: one that was free a moment ago (the race with other tests is tiny).
            var server = UdpAddress(ports);
            pair._go = await GoKcptunProcess.StartAsync(peer.Server, ["-t", pair.Target.Address, "-l", server, .. serverArgs], "key derivation done", ct);
            var listening = pair.StartOurs(ClientProgram.RunAsync, ["-l", "127.0.0.1:0", "-r", server, .. clientArgs]);
            var address = await listening.WaitAsync(TimeSpan.FromSeconds(30), ct);
            pair.LocalPort = int.Parse(address[(address.LastIndexOf(':') + 1)..]);
            return pair;
        }
        catch
        {
            await pair.DisposeAsync();
            throw;
        }
    }

    /// <summary>The Go client (Debian's 20210922) against our server.</summary>
    public static Task<TunnelPair> OurServerAsync(string[] serverArgs, string[] clientArgs, CancellationToken ct) =>
        OurServerAsync(GoPeers.Debian, serverArgs, clientArgs, ct);

    /// <summary>The Go client of generation <paramref name="peer"/> against our server.</summary>
    public static Task<TunnelPair> OurServerAsync(GoPeer peer, string[] serverArgs, string[] clientArgs, CancellationToken ct) =>
        OurServerAsync(peer, 1, serverArgs, clientArgs, ct);

    /// <summary>
    /// The Go client of generation <paramref name="peer"/> against our server; with <paramref name="ports"/> &gt; 1 our
    /// server listens on that many consecutive UDP ports and the Go client is given the range.
    /// </summary>
    public static async Task<TunnelPair> OurServerAsync(GoPeer peer, int ports, string[] serverArgs, string[] clientArgs, CancellationToken ct)
    {
        var pair = new TunnelPair(new EchoTarget());
        try
        {
            var server = ports == 1 ? "127.0.0.1:0" : UdpAddress(ports);
            var listening = pair.StartOurs(ServerProgram.RunAsync, ["-l", server, "-t", pair.Target.Address, .. serverArgs]);
            var address = await listening.WaitAsync(TimeSpan.FromSeconds(30), ct);
            pair.LocalPort = LoopbackPorts.Free(SocketType.Stream);
            pair._go = await GoKcptunProcess.StartAsync(peer.Client, ["-l", $"127.0.0.1:{pair.LocalPort}", "-r", ports == 1 ? address : server, .. clientArgs], "key derivation done", ct);
            return pair;
        }
        catch
        {
            await pair.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Sends <paramref name="streams"/> parallel connections of <paramref name="size"/> random bytes each, checks every
    /// echo, and returns the SHA-256 of what was sent on each.
    /// </summary>
    public async Task<string[]> TransferAsync(int streams, int size, int seed, CancellationToken ct)
    {
        return await Task.WhenAll(Enumerable.Range(0, streams).Select(async i =>
        {
            var data = new byte[size + i];
            new Random(seed * 100 + i).NextBytes(data);
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, LocalPort), ct);
            await using var stream = new NetworkStream(socket);
            var write = stream.WriteAsync(data, ct).AsTask();
            var echo = new byte[data.Length];
            await stream.ReadExactlyAsync(echo, ct);
            await write;
            Assert.True(data.AsSpan().SequenceEqual(echo), $"stream {i}: echo differs");
            return Convert.ToHexStringLower(SHA256.HashData(data));
        }));
    }

    public async ValueTask DisposeAsync()
    {
        _go?.Dispose();
        await _shutdown.CancelAsync();
        if (_ours is not null)
        {
            var exit = await _ours.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.True(exit == ExitCodes.Success, $"our side exited {exit}:\n{OurLog}");
        }

        await Target.DisposeAsync();
        _shutdown.Dispose();
    }

    /// <summary>A loopback UDP address for a server: one port, or a <c>min-max</c> range of free consecutive ports.</summary>
    private static string UdpAddress(int ports)
    {
        if (ports == 1)
        {
            return $"127.0.0.1:{LoopbackPorts.Free(SocketType.Dgram)}";
        }

        var first = LoopbackPorts.FreeUdpRange(ports);
        return $"127.0.0.1:{first}-{first + ports - 1}";
    }

    private Task<string> StartOurs(Func<IReadOnlyList<string>, ProgramContext?, string, Task<int>> run, string[] args)
    {
        var listening = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var context = new ProgramContext
        {
            Out = _ourLogWriter,
            Error = _ourLogWriter,
            Environment = _ => null,
            HandleSignals = false,
            Shutdown = _shutdown.Token,
            Listening = address => listening.TrySetResult(address),
        };
        _ours = Task.Run(() => run(args, context, "kcptun"));
        _ = _ours.ContinueWith(t => listening.TrySetException(new InvalidOperationException($"our side exited {(t.IsCompletedSuccessfully ? t.Result : -1)}:\n{OurLog}")), TaskScheduler.Default);
        return listening.Task;
    }
}
