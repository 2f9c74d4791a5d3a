using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Kcptun.EndToEnd.Emulation;

/// <summary>
/// A UDP relay on loopback that impairs each direction with a <see cref="LinkShaper"/>. The tunnel client talks to
/// <see cref="FrontEndPoint"/>; for every client address the relay opens one upstream socket towards the server
/// (so several client sockets, as with <c>--conn N</c>, stay apart).
/// </summary>
/// <remarks>
/// One receive thread per socket (blocking, allocation-free <see cref="SocketAddress"/> calls into pooled buffers)
/// and one delivery thread that owns a single priority queue ordered by due time, then arrival order. Delivery
/// granularity is about one millisecond (the wait of the delivery thread); the average rate and delay are exact.
/// </remarks>
public sealed class LinkEmulator : IDisposable
{
    private const int MaxDatagram = 2048;
    private const int MaxMappings = 64;
    private const int MaxQueued = 32768;
    private readonly Socket _front;
    private readonly SocketAddress _server;
    private readonly LinkShaper _up;
    private readonly LinkShaper _down;
    private readonly Dictionary<SocketAddress, Mapping> _mappings = [];
    private readonly List<Thread> _threads = [];
    private readonly BufferPool _pool = new(MaxDatagram, MaxQueued, preallocate: 4096);
    private readonly PriorityQueue<Delivery, (long Due, long Order)> _queue = new(4096);
    private readonly object _gate = new(); // guards the queue, the shapers and the mappings; the deliverer waits on it
    private readonly long _startTimestamp = Stopwatch.GetTimestamp();
    private long _order;
    private long _waitingUntil = long.MaxValue;
    private volatile bool _stopping;

    private LinkEmulator(IPEndPoint server, LinkProfile up, LinkProfile down, int seed)
    {
        _server = server.Serialize();
        _up = new LinkShaper(up, seed);
        _down = new LinkShaper(down, unchecked((seed * 31) + 17));
        _front = NewSocket();
        _front.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        FrontEndPoint = (IPEndPoint)_front.LocalEndPoint!;
        StartThread(FrontReceiveLoop, "emu-front");
        StartThread(DeliveryLoop, "emu-deliver");
    }

    /// <summary>Where the tunnel client sends (instead of the server).</summary>
    public IPEndPoint FrontEndPoint { get; }

    /// <summary>Counters of the client-to-server direction.</summary>
    public LinkStatistics Up => _up.Statistics;

    /// <summary>Counters of the server-to-client direction.</summary>
    public LinkStatistics Down => _down.Statistics;

    /// <summary>Starts a relay in front of <paramref name="server"/> (a loopback address).</summary>
    public static LinkEmulator Start(IPEndPoint server, LinkProfile up, LinkProfile down, int seed)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(up);
        ArgumentNullException.ThrowIfNull(down);
        if (!IPAddress.IsLoopback(server.Address))
        {
            throw new ArgumentException("the emulator only relays to loopback addresses", nameof(server));
        }

        return new LinkEmulator(server, up, down, seed);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _stopping = true;
        lock (_gate)
        {
            Monitor.PulseAll(_gate);
        }

        _front.Dispose();
        lock (_gate)
        {
            foreach (var mapping in _mappings.Values)
            {
                mapping.Upstream.Dispose();
            }
        }

        foreach (var thread in _threads)
        {
            thread.Join(TimeSpan.FromSeconds(5));
        }
    }

    private long NowNs() => (long)((Stopwatch.GetTimestamp() - _startTimestamp) * (1e9 / Stopwatch.Frequency));

    private static Socket NewSocket()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.ReceiveBufferSize = 8 * 1024 * 1024;
        socket.SendBufferSize = 8 * 1024 * 1024;
        return socket;
    }

    private void StartThread(ThreadStart body, string name)
    {
        var thread = new Thread(body) { IsBackground = true, Name = name };
        _threads.Add(thread);
        thread.Start();
    }

    private void FrontReceiveLoop()
    {
        var from = new SocketAddress(AddressFamily.InterNetwork);
        while (!_stopping)
        {
            var buffer = _pool.Rent();
            int length;
            try
            {
                length = _front.ReceiveFrom(buffer, SocketFlags.None, from);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                _pool.Return(buffer);
                if (_stopping)
                {
                    return;
                }

                continue; // ICMP port unreachable and the like: keep relaying
            }

            var mapping = Lookup(from);
            if (mapping is null)
            {
                _pool.Return(buffer);
                continue;
            }

            Offer(_up, buffer, length, mapping.Upstream, _server);
        }
    }

    private Mapping? Lookup(SocketAddress from)
    {
        lock (_gate)
        {
            if (_mappings.TryGetValue(from, out var mapping))
            {
                return mapping;
            }

            if (_mappings.Count >= MaxMappings || _stopping)
            {
                return null;
            }

            var client = new SocketAddress(from.Family, from.Size);
            from.Buffer.Span.CopyTo(client.Buffer.Span);
            var upstream = NewSocket();
            upstream.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            mapping = new Mapping(client, upstream);
            _mappings.Add(client, mapping);
            StartThread(() => UpstreamReceiveLoop(mapping), "emu-up");
            return mapping;
        }
    }

    private void UpstreamReceiveLoop(Mapping mapping)
    {
        var from = new SocketAddress(AddressFamily.InterNetwork);
        while (!_stopping)
        {
            var buffer = _pool.Rent();
            int length;
            try
            {
                length = mapping.Upstream.ReceiveFrom(buffer, SocketFlags.None, from);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                _pool.Return(buffer);
                if (_stopping)
                {
                    return;
                }

                continue;
            }

            Offer(_down, buffer, length, _front, mapping.Client);
        }
    }

    private void Offer(LinkShaper shaper, byte[] buffer, int length, Socket via, SocketAddress to)
    {
        Span<long> due = stackalloc long[2];
        lock (_gate)
        {
            if (_pool.Outstanding > MaxQueued)
            {
                shaper.Statistics.Overflow++;
                _pool.Return(buffer);
                return;
            }

            var copies = shaper.Admit(length, NowNs(), due);
            if (copies == 0)
            {
                _pool.Return(buffer);
                return;
            }

            _queue.Enqueue(new Delivery(buffer, length, via, to), (due[0], _order++));
            if (copies == 2)
            {
                var copy = _pool.TryRentExtra();
                if (copy is null)
                {
                    shaper.Statistics.Overflow++;
                }
                else
                {
                    buffer.AsSpan(0, length).CopyTo(copy);
                    _queue.Enqueue(new Delivery(copy, length, via, to), (due[1], _order++));
                }
            }

            if (due[0] < _waitingUntil)
            {
                Monitor.Pulse(_gate);
            }
        }
    }

    private void DeliveryLoop()
    {
        var batch = new List<Delivery>(256);
        while (!_stopping)
        {
            long waitNs = -1;
            lock (_gate)
            {
                var now = NowNs();
                while (batch.Count < 256 && _queue.TryPeek(out var next, out var key))
                {
                    if (key.Due > now)
                    {
                        waitNs = key.Due - now;
                        break;
                    }

                    _queue.Dequeue();
                    batch.Add(next);
                }

                if (batch.Count == 0)
                {
                    if (!_stopping)
                    {
                        // Publish how long we sleep, so a receiver with an earlier packet wakes us (same lock: no
                        // lost wake-up).
                        _waitingUntil = waitNs < 0 ? long.MaxValue : now + waitNs;
                        var ms = waitNs < 0 ? 100 : (int)Math.Clamp((waitNs + 999_999) / 1_000_000, 1, 100);
                        Monitor.Wait(_gate, ms);
                        _waitingUntil = long.MinValue;
                    }

                    continue;
                }
            }

            foreach (var delivery in batch)
            {
                try
                {
                    delivery.Via.SendTo(delivery.Buffer.AsSpan(0, delivery.Length), SocketFlags.None, delivery.To);
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                    // The far end is gone or its buffer is full: the datagram is lost, as on a real link.
                }

                _pool.Return(delivery.Buffer);
            }

            batch.Clear();
        }
    }

    private sealed record Mapping(SocketAddress Client, Socket Upstream);

    private readonly record struct Delivery(byte[] Buffer, int Length, Socket Via, SocketAddress To);
}
