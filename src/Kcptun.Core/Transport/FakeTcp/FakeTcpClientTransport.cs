using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Kcptun.Transport.FakeTcp;

/// <summary>
/// The client side of --tcp (tcpraw.Dial): one kernel TCP connection to the server, one raw socket connected to the
/// server's address that both sends our segments and captures the server's, and one firewall rule
/// (<c>-s local --sport lport -d server --dport port</c>, the precise form of tcpraw 1.2.32, so that two sessions
/// to the same server never share, or remove, each other's rule).
/// </summary>
internal sealed class FakeTcpClientTransport : FakeTcpTransport
{
    private readonly Socket _raw;
    private readonly Socket _connection;
    private readonly FakeTcpFlow _flow;
    private readonly FirewallRule _rule;
    private readonly ushort _localPort;

    private FakeTcpClientTransport(Socket raw, Socket connection, FakeTcpFlow flow, FirewallRule rule, Action<string>? log)
        : base(log)
    {
        _raw = raw;
        _connection = connection;
        _flow = flow;
        _rule = rule;
        LocalEndPoint = connection.LocalEndPoint!;
        _localPort = (ushort)((IPEndPoint)LocalEndPoint).Port;
    }

    public override EndPoint LocalEndPoint { get; }

    /// <summary>
    /// Connects to <paramref name="server"/>: raw socket first (the handshake's SYN-ACK waits in its queue and sets
    /// up the sequence state), then the kernel connection, the firewall rule, TTL 1, and capture.
    /// Throws <see cref="FakeTcpException"/> without the capabilities or the firewall tool, a
    /// <see cref="SocketException"/> when the server does not answer.
    /// </summary>
    public static async ValueTask<FakeTcpClientTransport> ConnectAsync(IPEndPoint server, KcpSessionOptions options,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(options);
        server = RawTcpSockets.Plain(server);
        AddressFamily family = server.AddressFamily;
        FirewallTool.RemoveStaleRules(family); // also: the tool is there and we may use it, before anything is sent
        Socket raw = RawTcpSockets.Open(family, options.SocketBuffer);
        Socket? connection = null;
        FirewallRule? rule = null;
        try
        {
            raw.Connect(new IPEndPoint(server.Address, 0));
            connection = new Socket(family, SocketType.Stream, ProtocolType.Tcp);
            await connection.ConnectAsync(server, cancellationToken).ConfigureAwait(false);
            var local = (IPEndPoint)connection.LocalEndPoint!;
            rule = FirewallRule.Add(family,
                "-s", local.Address.ToString(), "--sport", local.Port.ToString(CultureInfo.InvariantCulture),
                "-d", server.Address.ToString(), "--dport", server.Port.ToString(CultureInfo.InvariantCulture));
            RawTcpSockets.SetTimeToLive(connection, 1);
            var flow = new FakeTcpFlow(server, Now)
            {
                Connection = connection,
                LocalAddress = local.Address,
                LocalIp = local.Address.GetAddressBytes(),
            };
            var transport = new FakeTcpClientTransport(raw, connection, flow, rule, options.Log);
            transport.StartCapture(raw, local.Port);
            _ = DrainAsync(connection);
            return transport;
        }
        catch
        {
            rule?.Remove(options.Log);
            connection?.Dispose();
            raw.Dispose();
            throw;
        }
    }

    protected override FakeTcpFlow? FindSendFlow(SocketAddress destination) => _flow;

    protected override ushort LocalPort(FakeTcpFlow flow) => _localPort;

    protected override void SendSegment(FakeTcpFlow flow, ReadOnlySpan<byte> segment) => _raw.Send(segment);

    protected override FakeTcpFlow? CaptureFlowLocked(SocketAddress peer, AddressFamily family, in TcpSegment segment, long now) =>
        peer.Equals(_flow.Address) ? _flow : null;

    protected override void Close()
    {
        CloseConnection(_connection);
        _raw.Dispose();
        _rule.Remove(Log);
    }
}
