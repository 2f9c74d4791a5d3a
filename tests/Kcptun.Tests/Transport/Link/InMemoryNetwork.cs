using System.Net;
using System.Net.Sockets;
using Kcptun.Transport;
using Microsoft.Extensions.Time.Testing;

namespace Kcptun.Tests.Transport.Link;

/// <summary>
/// A datagram network in memory on a fake clock, for protocol tests of <see cref="KcpSession"/> and
/// <see cref="KcpListener"/> without sockets or wall time: endpoints with IPv4 addresses, a seeded lossy link between
/// them (<see cref="LinkConditions"/>: loss, delay, jitter that reorders, duplicates; each decided by a random stream of
/// its own per flow, so one flow's fate does not depend on another's timing), an optional scripted drop, and a pump
/// that moves time 1 ms per step, delivers what is due and runs the sessions' stepped <see cref="KcpScheduler"/>.
/// Reads and writes of the sessions still complete on the thread pool (the library's awaits), so the pump yields
/// between steps.
/// </summary>
internal sealed class InMemoryNetwork
{
    /// <summary>Fake time allowed to <see cref="RunUntilAsync"/> unless a test says otherwise.</summary>
    public static readonly TimeSpan DefaultLimit = TimeSpan.FromMinutes(2);

    private readonly Lock _gate = new();
    private readonly Dictionary<SocketAddress, InMemoryEndpoint> _endpoints = [];
    private readonly Dictionary<(SocketAddress From, SocketAddress To), Flow> _flows = [];
    private readonly PriorityQueue<InFlight, (long Due, long Order)> _inFlight = new();
    private readonly List<InFlight> _due = [];
    private readonly Random _conversations;
    private readonly int _seed;
    private readonly long _start;
    private long _order;
    private int _nextHost = 1;

    public InMemoryNetwork(int seed = 1, LinkConditions? conditions = null)
    {
        _seed = seed;
        _conversations = new Random(seed);
        Conditions = conditions ?? LinkConditions.Perfect;
        Scheduler = new KcpScheduler(new KcpClock(Time));
        _start = Time.GetTimestamp();
    }

    /// <summary>The clock of everything on this network (sessions, pacing, the scheduler).</summary>
    public FakeTimeProvider Time { get; } = new();

    /// <summary>The scheduler the pump steps; sessions get it through <see cref="Configure"/>.</summary>
    public KcpScheduler Scheduler { get; }

    /// <summary>Applied to datagrams sent from now on.</summary>
    public LinkConditions Conditions { get; set; }

    /// <summary>A scripted drop on top of <see cref="Conditions"/>: true drops the datagram (counted in <see cref="Dropped"/>).</summary>
    public Func<SentDatagram, bool>? Drop { get; set; }

    public long Sent { get; private set; }

    public long Delivered { get; private set; }

    /// <summary>Datagrams lost to <see cref="LinkConditions.Loss"/>.</summary>
    public long Lost { get; private set; }

    /// <summary>Datagrams dropped by <see cref="Drop"/>.</summary>
    public long Dropped { get; private set; }

    public long Duplicated { get; private set; }

    /// <summary>Datagrams to an address nobody holds (closed, or never bound).</summary>
    public long Unroutable { get; private set; }

    /// <summary>Datagrams sent and not yet delivered (or found unroutable).</summary>
    public int InFlightCount
    {
        get
        {
            lock (_gate)
            {
                return _inFlight.Count;
            }
        }
    }

    /// <summary>Steps until every datagram sent so far (and every one those caused, such as ACKs) has arrived.</summary>
    public void Settle(TimeSpan? limit = null) => RunUntil(() => InFlightCount == 0, limit);

    /// <summary>Runs <paramref name="duration"/> of fake time on this thread.</summary>
    public void RunFor(TimeSpan duration)
    {
        TimeSpan end = Elapsed + duration;
        RunUntil(() => Elapsed >= end, duration + TimeSpan.FromMilliseconds(1));
    }

    /// <summary>Fake time since the network was made.</summary>
    public TimeSpan Elapsed => Time.GetElapsedTime(_start);

    /// <summary><paramref name="options"/> on this network's clock and scheduler.</summary>
    public KcpSessionOptions Configure(KcpSessionOptions options) => options with { TimeProvider = Time, Scheduler = Scheduler };

    /// <summary>A new endpoint: 10.0.0.n:4000 for the n-th unless <paramref name="endPoint"/> is given.</summary>
    public InMemoryEndpoint Bind(IPEndPoint? endPoint = null)
    {
        lock (_gate)
        {
            endPoint ??= new IPEndPoint(new IPAddress([10, 0, 0, (byte)_nextHost++]), 4000);
            var endpoint = new InMemoryEndpoint(this, endPoint);
            if (!_endpoints.TryAdd(endpoint.Address, endpoint))
            {
                throw new InvalidOperationException($"{endPoint} is already bound.");
            }

            return endpoint;
        }
    }

    /// <summary>A listener on a new endpoint.</summary>
    public KcpListener Listen(KcpSessionOptions options) => KcpListener.Start(Bind(), Configure(options));

    /// <summary>
    /// A client session from a new endpoint to <paramref name="server"/>, with a conversation id drawn from the
    /// network's seed (not the OS random source the programs use): the rate controller picks its first gain-cycle
    /// phase from it, so a random one made runs of the same seed differ.
    /// </summary>
    public KcpSession Connect(EndPoint server, KcpSessionOptions options)
    {
        var target = (IPEndPoint)server;
        uint conversation;
        lock (_gate)
        {
            conversation = (uint)_conversations.NextInt64(1L << 32);
        }

        return KcpSession.Connect(Bind(), target.Serialize(), target, Configure(options), conversation);
    }

    internal void Unbind(InMemoryEndpoint endpoint)
    {
        lock (_gate)
        {
            _endpoints.Remove(endpoint.Address);
        }
    }

    internal void Submit(InMemoryEndpoint from, ReadOnlySpan<byte> datagram, SocketAddress to)
    {
        lock (_gate)
        {
            Sent++;
            if (!_flows.TryGetValue((from.Address, to), out Flow? flow))
            {
                flow = new Flow(new Random(FlowSeed(from.Address, to)));
                _flows.Add((SocketAddresses.Copy(from.Address), SocketAddresses.Copy(to)), flow);
            }

            long index = flow.Sent++;
            bool lost = flow.Random.NextDouble() < Conditions.Loss;
            bool duplicate = flow.Random.NextDouble() < Conditions.Duplicate;
            TimeSpan delay = NextDelay(flow.Random);
            TimeSpan copyDelay = NextDelay(flow.Random);
            if (Drop?.Invoke(new SentDatagram(from.EndPoint, SocketAddresses.ToEndPoint(to), index, datagram.ToArray())) == true)
            {
                Dropped++;
                return;
            }

            if (lost)
            {
                Lost++;
                return;
            }

            byte[] copy = datagram.ToArray();
            Enqueue(new InFlight(from.Address, to, copy), delay);
            if (duplicate)
            {
                Duplicated++;
                Enqueue(new InFlight(from.Address, to, copy), copyDelay);
            }
        }
    }

    private TimeSpan NextDelay(Random random) =>
        Conditions.Delay + (Conditions.Jitter * random.NextDouble());

    private void Enqueue(InFlight datagram, TimeSpan delay) =>
        _inFlight.Enqueue(datagram, (Time.GetTimestamp() + (long)(delay.TotalSeconds * Time.TimestampFrequency), _order++));

    /// <summary>Runs at the end of every <see cref="Step"/>, on the pump's thread: test applications poll their sessions here.</summary>
    public event Action? Stepped;

    /// <summary>
    /// Delivers every datagram due by now, in due order, runs the scheduler updates due, then <see cref="Stepped"/>;
    /// returns the deliveries.
    /// </summary>
    public int Step()
    {
        lock (_gate)
        {
            long now = Time.GetTimestamp();
            while (_inFlight.TryPeek(out InFlight? datagram, out (long Due, long Order) key) && key.Due <= now)
            {
                _inFlight.Dequeue();
                _due.Add(datagram);
            }
        }

        int delivered = 0;
        foreach (InFlight datagram in _due)
        {
            InMemoryEndpoint? target;
            lock (_gate)
            {
                _endpoints.TryGetValue(datagram.To, out target);
                if (target is null)
                {
                    Unroutable++;
                }
                else
                {
                    Delivered++;
                }
            }

            if (target is not null)
            {
                target.Deliver(datagram.Data, datagram.From);
                delivered++;
            }
        }

        _due.Clear();
        Scheduler.RunDue();
        Stepped?.Invoke();
        return delivered;
    }

    /// <summary>
    /// Steps 1 ms of fake time at a time, on this thread, until <paramref name="done"/> holds; throws past
    /// <paramref name="limit"/>. With every session driven from <see cref="Stepped"/> (<see cref="PumpedSession"/>)
    /// nothing runs on another thread: the run is the same every time, fake time included.
    /// </summary>
    public void RunUntil(Func<bool> done, TimeSpan? limit = null)
    {
        TimeSpan allowed = limit ?? DefaultLimit;
        TimeSpan deadline = Elapsed + allowed;
        Step();
        while (!done())
        {
            StepOneMillisecond(deadline, allowed);
        }
    }

    /// <summary>
    /// As <see cref="RunUntil"/>, for tests of the async stream API: readers and writers awaiting a session continue on
    /// the thread pool, so the pump (also on the pool, off the test's synchronization context) yields between steps.
    /// Their timing against the steps varies (a descheduled thread lets fake time run ahead), so assert outcomes here,
    /// never fake durations.
    /// </summary>
    public Task RunUntilAsync(Func<bool> done, TimeSpan? limit = null)
    {
        TimeSpan allowed = limit ?? DefaultLimit;
        return Task.Run(async () =>
        {
            TimeSpan deadline = Elapsed + allowed;
            Step();
            while (!done())
            {
                StepOneMillisecond(deadline, allowed);

                // The sessions' readers and writers continue on the thread pool: let them run between steps.
                await Task.Yield();
            }
        });
    }

    // One step of RunUntil: 1 ms of fake time, then everything due; throws once the run's fake-time limit is reached.
    private void StepOneMillisecond(TimeSpan deadline, TimeSpan allowed)
    {
        if (Elapsed >= deadline)
        {
            throw new TimeoutException($"not done after {allowed} of fake time");
        }

        Time.Advance(TimeSpan.FromMilliseconds(1));
        Step();
    }

    /// <summary>Runs until <paramref name="task"/> has completed (and rethrows its failure).</summary>
    public async Task RunUntilAsync(Task task, TimeSpan? limit = null)
    {
        await RunUntilAsync(() => task.IsCompleted, limit);
        await task;
    }

    /// <summary>Runs until <paramref name="task"/> has completed and returns its result.</summary>
    public async Task<T> RunUntilAsync<T>(Task<T> task, TimeSpan? limit = null)
    {
        await RunUntilAsync(() => task.IsCompleted, limit);
        return await task;
    }

    /// <summary>Runs <paramref name="duration"/> of fake time.</summary>
    public Task RunForAsync(TimeSpan duration)
    {
        TimeSpan end = Elapsed + duration;
        return RunUntilAsync(() => Elapsed >= end, duration + TimeSpan.FromMilliseconds(1));
    }

    /// <summary>Stable across runs (string.GetHashCode is not): FNV-1a over both addresses and the seed.</summary>
    private int FlowSeed(SocketAddress from, SocketAddress to)
    {
        uint hash = 2166136261u ^ (uint)_seed;
        foreach (SocketAddress address in (ReadOnlySpan<SocketAddress>)[from, to])
        {
            foreach (byte b in address.Buffer.Span[..address.Size])
            {
                hash = (hash ^ b) * 16777619u;
            }
        }

        return (int)hash;
    }

    private sealed class Flow(Random random)
    {
        public Random Random { get; } = random;

        public long Sent { get; set; }
    }

    private sealed record InFlight(SocketAddress From, SocketAddress To, byte[] Data);
}

/// <summary>A datagram as the scripted drop sees it: the flow, its index in the flow (from 0), its bytes.</summary>
internal sealed record SentDatagram(IPEndPoint From, IPEndPoint To, long Index, byte[] Data);
