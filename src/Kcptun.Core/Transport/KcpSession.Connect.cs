using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Kcptun.Diagnostics;
using Kcptun.Transport.FakeTcp;

namespace Kcptun.Transport;

public sealed partial class KcpSession : IDatagramReceiver
{
    // Client sessions only (an accepted session's datagrams come through its listener).
    private SocketAddress? _firstSource;

    /// <summary>
    /// Opens a session to <paramref name="remote"/> (docs/protocol/kcp.md §6.12): a new UDP socket on the wildcard
    /// address (IPv4 for an IPv4 server, else dual stack), a random conversation id. Nothing is sent until the
    /// first write; there is no handshake. A <see cref="DnsEndPoint"/> is resolved first (IPv4 preferred, as Go).
    /// With <see cref="KcpSessionOptions.FakeTcp"/> the datagrams go as fake TCP instead (a TCP handshake first;
    /// <see cref="FakeTcp.FakeTcpException"/> without the capabilities or the firewall tool).
    /// </summary>
    public static async ValueTask<KcpSession> ConnectAsync(EndPoint remote, KcpSessionOptions options,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(remote);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        IPEndPoint target = await ResolveAsync(remote, cancellationToken).ConfigureAwait(false);
        if (options.FakeTcp)
        {
            FakeTcpClientTransport fake = await FakeTcpClientTransport.ConnectAsync(target, options, cancellationToken).ConfigureAwait(false);
            IPEndPoint server = RawTcpSockets.Plain(target);
            return Connect(fake, server.Serialize(), server, options);
        }

        Socket socket = UdpSocketFactory.CreateClient(target, options);
        EndPoint destination = socket.DualMode && target.AddressFamily == AddressFamily.InterNetwork
            ? new IPEndPoint(target.Address.MapToIPv6(), target.Port)
            : target;
        return Connect(DatagramSocket.Create(socket, options.BatchIO), destination.Serialize(), target, options);
    }

    /// <summary>
    /// Opens a session over <paramref name="transport"/> (owned from now on: the session closes it) to
    /// <paramref name="remoteAddress"/>: what <see cref="ConnectAsync"/> does once it has a socket. Tests pass an
    /// in-memory link, and with it a <paramref name="conversation"/> of their own (the rate controller's first
    /// gain-cycle phase follows it), so a seeded run is the same every time; null: 32 random bits.
    /// </summary>
    internal static KcpSession Connect(IDatagramTransport transport, SocketAddress remoteAddress, EndPoint remoteEndPoint,
        KcpSessionOptions options, uint? conversation = null)
    {
        KcpSession session;
        try
        {
            options.Validate();
            session = new KcpSession(conversation ?? RandomConversation(), transport, remoteAddress, remoteEndPoint, options, listener: null);
        }
        catch
        {
            transport.Dispose();
            throw;
        }

        transport.StartReceiving(session);
        session.StartUpdates();
        return session;
    }

    private static async ValueTask<IPEndPoint> ResolveAsync(EndPoint remote, CancellationToken cancellationToken)
    {
        switch (remote)
        {
            case IPEndPoint ip:
                return ip;
            case DnsEndPoint dns:
                IPAddress[] addresses = await Dns.GetHostAddressesAsync(dns.Host, cancellationToken).ConfigureAwait(false);
                IPAddress? chosen = Array.Find(addresses, a => a.AddressFamily == AddressFamily.InterNetwork)
                    ?? Array.Find(addresses, a => a.AddressFamily == AddressFamily.InterNetworkV6);
                return chosen is null
                    ? throw new SocketException((int)SocketError.HostNotFound)
                    : new IPEndPoint(chosen, dns.Port);
            default:
                throw new ArgumentException($"Unsupported endpoint type {remote.GetType().Name}.", nameof(remote));
        }
    }

    /// <summary>32 random bits read little-endian from the OS CSPRNG, as kcp-go's DialWithOptions.</summary>
    private static uint RandomConversation()
    {
        Span<byte> bytes = stackalloc byte[4];
        RandomNumberGenerator.Fill(bytes);
        return BinaryPrimitives.ReadUInt32LittleEndian(bytes);
    }

    void IDatagramReceiver.OnDatagram(Span<byte> datagram, SocketAddress source)
    {
        // Only the first source address is ever accepted (normally the server), before any crypto check.
        if (_firstSource is null)
        {
            _firstSource = SocketAddresses.Copy(source);
        }
        else if (!_firstSource.Equals(source))
        {
            Interlocked.Increment(ref Counters.InErrs);
            return;
        }

        if (!PacketPipeline.TryOpen(_protection, datagram, Counters, out Span<byte> payload))
        {
            return;
        }

        InputPayload(payload);
    }

    void IDatagramReceiver.OnReceiveError(SocketError error) =>
        Interlocked.Increment(ref Counters.InErrs);

    void IDatagramReceiver.OnDatagramFault(Exception fault)
    {
        Interlocked.Increment(ref Counters.InErrs);
        _log?.Invoke($"kcp session {Conversation:x8}: datagram handling failed: {fault}");
    }

    void IDatagramReceiver.OnReceiveStopped(Exception? error)
    {
        if (error is not null)
        {
            _log?.Invoke($"kcp session {Conversation:x8}: receive failed: {error.Message}");
            OnTransportError(error);
        }
    }
}
