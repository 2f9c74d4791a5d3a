using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Kcptun.Transport.FakeTcp;

/// <summary>
/// The server side of --tcp (tcpraw.Listen): a kernel TCP listener whose accepted connections get TTL 1, raw sockets
/// that capture every segment to the port (one per address family; bound to the address when the listen address is
/// not a wildcard), a firewall rule per family (<c>--sport port</c>, as tcpraw), and one raw send socket per local
/// address a peer connected to (bound to it, so the kernel's source address is the one the checksum used).
/// A peer is tracked from its first segment (the SYN sets up the sequence state) but its payloads are delivered only
/// once its kernel connection was accepted (the first few are held until then); a peer that is silent for a minute is forgotten (an unaccepted one
/// after 5 s, as tcpraw 1.2.32).
/// </summary>
internal sealed class FakeTcpServerTransport : FakeTcpTransport
{
    /// <summary>Peers tracked without an accepted connection, at most (a flood of SYNs cannot grow the table further).</summary>
    public const int MaxOrphans = 4096;

    /// <summary>Payloads held for peers not accepted yet, at most, over all of them (one client's first flight and more).</summary>
    public const int MaxHeld = 256;

    private const long OrphanExpiry = 5_000;
    private const long FlowExpiry = 60_000;

    private readonly Socket _listener;
    private readonly List<Socket> _captureSockets;
    private readonly List<FirewallRule> _rules;
    private readonly Dictionary<SocketAddress, FakeTcpFlow> _flows = [];
    private readonly Dictionary<IPAddress, Socket> _senders = [];
    private readonly int _bufferSize;
    private readonly ushort _port;
    private long _nextSweep;
    private int _orphans;
    private int _held;

    private FakeTcpServerTransport(Socket listener, List<Socket> captureSockets, List<FirewallRule> rules, int bufferSize,
        Action<string>? log)
        : base(log)
    {
        _listener = listener;
        _captureSockets = captureSockets;
        _rules = rules;
        _bufferSize = bufferSize;
        LocalEndPoint = listener.LocalEndPoint!;
        _port = (ushort)((IPEndPoint)LocalEndPoint).Port;
    }

    public override EndPoint LocalEndPoint { get; }

    /// <summary>
    /// Listens on <paramref name="local"/> (port 0 picks one; the IPv6 wildcard serves IPv4 too). Throws
    /// <see cref="FakeTcpException"/> without the capabilities or the firewall tool, <see cref="SocketException"/>
    /// when the port is taken.
    /// </summary>
    public static FakeTcpServerTransport Listen(IPEndPoint local, KcpSessionOptions options)
    {
        ArgumentNullException.ThrowIfNull(local);
        ArgumentNullException.ThrowIfNull(options);
        RawTcpSockets.EnsurePlatform();
        bool wildcard = local.Address.Equals(IPAddress.Any) || local.Address.Equals(IPAddress.IPv6Any);
        AddressFamily[] families = local.Address.Equals(IPAddress.IPv6Any)
            ? [AddressFamily.InterNetwork, AddressFamily.InterNetworkV6]
            : [RawTcpSockets.Plain(local.Address).AddressFamily];
        foreach (AddressFamily family in families)
        {
            FirewallTool.RemoveStaleRules(family);
        }

        var captures = new List<Socket>();
        var rules = new List<FirewallRule>();
        Socket? listener = null;
        try
        {
            foreach (AddressFamily family in families)
            {
                Socket raw = RawTcpSockets.Open(family, options.SocketBuffer);
                captures.Add(raw);
                if (!wildcard)
                {
                    raw.Bind(new IPEndPoint(RawTcpSockets.Plain(local.Address), 0));
                }
            }

            listener = new Socket(local.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            if (local.Address.Equals(IPAddress.IPv6Any))
            {
                listener.DualMode = true;
            }

            listener.Bind(local);
            listener.Listen(KcpListener.AcceptBacklog);
            int port = ((IPEndPoint)listener.LocalEndPoint!).Port;
            foreach (AddressFamily family in families)
            {
                rules.Add(FirewallRule.Add(family, "--sport", port.ToString(CultureInfo.InvariantCulture)));
            }

            var transport = new FakeTcpServerTransport(listener, captures, rules, options.SocketBuffer, options.Log);
            foreach (Socket raw in captures)
            {
                transport.StartCapture(raw, port);
            }

            _ = transport.AcceptLoopAsync();
            return transport;
        }
        catch
        {
            foreach (FirewallRule rule in rules)
            {
                rule.Remove(options.Log);
            }

            listener?.Dispose();
            foreach (Socket raw in captures)
            {
                raw.Dispose();
            }

            throw;
        }
    }

    /// <summary>Peers tracked now (tests).</summary>
    internal int FlowCount
    {
        get
        {
            lock (FlowsGate)
            {
                return _flows.Count;
            }
        }
    }

    protected override FakeTcpFlow? FindSendFlow(SocketAddress destination)
    {
        lock (FlowsGate)
        {
            return _flows.GetValueOrDefault(destination);
        }
    }

    protected override ushort LocalPort(FakeTcpFlow flow) => _port;

    protected override void SendSegment(FakeTcpFlow flow, ReadOnlySpan<byte> segment)
    {
        IPAddress local = flow.LocalAddress!;
        Socket? sender;
        lock (_senders)
        {
            if (!_senders.TryGetValue(local, out sender))
            {
                ObjectDisposedException.ThrowIf(IsDisposed, this);
                sender = RawTcpSockets.Open(local.AddressFamily, 0);
                sender.ReceiveBufferSize = 1; // it only sends; the kernel rounds this up to its minimum
                if (_bufferSize > 0)
                {
                    sender.SendBufferSize = _bufferSize;
                }

                sender.Bind(new IPEndPoint(local, 0));
                _senders.Add(local, sender);
            }
        }

        sender.SendTo(segment, SocketFlags.None, flow.RawDestination);
    }

    protected override FakeTcpFlow? CaptureFlowLocked(SocketAddress peer, AddressFamily family, in TcpSegment segment, long now)
    {
        if (now >= _nextSweep)
        {
            SweepLocked(now);
        }

        if (_flows.TryGetValue(peer, out FakeTcpFlow? flow))
        {
            return flow;
        }

        if (_orphans >= MaxOrphans)
        {
            return null;
        }

        flow = new FakeTcpFlow(SocketAddresses.ToEndPoint(peer), now);
        _flows.Add(flow.Address, flow);
        _orphans++;
        return flow;
    }

    protected override void HoldLocked(FakeTcpFlow flow, ReadOnlySpan<byte> payload)
    {
        if (_held < MaxHeld && payload.Length <= KcpSessionOptions.MaxDatagramSize)
        {
            (flow.Held ??= []).Add(payload.ToArray());
            _held++;
        }
    }

    private void ReleaseHeldLocked(FakeTcpFlow flow)
    {
        _held -= flow.Held?.Count ?? 0;
        flow.Held = null;
    }

    private async Task AcceptLoopAsync()
    {
        while (true)
        {
            Socket connection;
            try
            {
                connection = await _listener.AcceptAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                if (!IsDisposed)
                {
                    Log?.Invoke($"--tcp: accept failed: {e.Message}");
                }

                return;
            }

            try
            {
                RawTcpSockets.SetTimeToLive(connection, 1);
            }
            catch (SocketException e)
            {
                Log?.Invoke($"--tcp: cannot set TTL 1 on an accepted connection: {e.Message}");
                connection.Dispose();
                continue;
            }

            Adopt(connection);
            _ = DrainAsync(connection);
        }
    }

    private void Adopt(Socket connection)
    {
        IPEndPoint remote = RawTcpSockets.Plain((IPEndPoint)connection.RemoteEndPoint!);
        IPAddress local = RawTcpSockets.Plain(((IPEndPoint)connection.LocalEndPoint!).Address);
        SocketAddress key = remote.Serialize();
        Socket? replaced = null;
        List<byte[]>? held;
        SocketAddress address;
        lock (FlowsGate)
        {
            if (!_flows.TryGetValue(key, out FakeTcpFlow? flow))
            {
                flow = new FakeTcpFlow(remote, Now);
                _flows.Add(flow.Address, flow);
            }
            else if (flow.Connection is null)
            {
                _orphans--;
            }

            replaced = flow.Connection;
            flow.Connection = connection;
            flow.LocalAddress = local;
            flow.LocalIp = local.GetAddressBytes();
            held = flow.Held;
            address = flow.Address;
            ReleaseHeldLocked(flow);
        }

        if (replaced is not null)
        {
            CloseConnection(replaced);
        }

        if (held is not null)
        {
            DeliverHeld(address, held);
        }
    }

    private void SweepLocked(long now)
    {
        _nextSweep = now + 1_000;
        List<SocketAddress>? expired = null;
        foreach ((SocketAddress key, FakeTcpFlow flow) in _flows)
        {
            if (now - flow.LastSeen > (flow.Connection is null ? OrphanExpiry : FlowExpiry))
            {
                (expired ??= []).Add(key);
            }
        }

        if (expired is null)
        {
            return;
        }

        foreach (SocketAddress key in expired)
        {
            _flows.Remove(key, out FakeTcpFlow? flow);
            ReleaseHeldLocked(flow!);
            if (flow!.Connection is { } connection)
            {
                CloseConnection(connection);
            }
            else
            {
                _orphans--;
            }
        }
    }

    protected override void Close()
    {
        _listener.Dispose();
        foreach (Socket raw in _captureSockets)
        {
            raw.Dispose();
        }

        lock (FlowsGate)
        {
            foreach (FakeTcpFlow flow in _flows.Values)
            {
                if (flow.Connection is { } connection)
                {
                    CloseConnection(connection);
                }
            }

            _flows.Clear();
            _orphans = 0;
            _held = 0;
        }

        lock (_senders)
        {
            foreach (Socket sender in _senders.Values)
            {
                sender.Dispose();
            }

            _senders.Clear();
        }

        foreach (FirewallRule rule in _rules)
        {
            rule.Remove(Log);
        }
    }
}
