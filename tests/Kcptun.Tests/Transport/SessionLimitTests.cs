using System.Collections.Concurrent;
using Kcptun.Diagnostics;
using Kcptun.Tests.Transport.Link;
using Kcptun.Transport;
using static Kcptun.Tests.Transport.TransportTestSupport;

namespace Kcptun.Tests.Transport;

/// <summary>
/// Issue 16: a server holds at most its session limit, shared by its listeners. A client beyond it is dropped,
/// counted and logged at most every 5 s; its retransmissions get in once a session closes. On the in-memory link.
/// </summary>
public sealed class SessionLimitTests
{
    private readonly InMemoryNetwork _network = new();
    private readonly ConcurrentQueue<string> _log = new();

    private KcpSessionOptions Logged() => Options() with { Log = _log.Enqueue };

    [Fact]
    public async Task Sessions_beyond_the_limit_are_dropped_counted_and_logged_and_get_in_once_one_closes()
    {
        var limit = KcpListener.NewSessionLimit(3);
        await using var listener = KcpListener.Start(_network.Bind(), _network.Configure(Logged()), limit);
        var refusedBefore = Interlocked.Read(ref TunnelGauges.Global.RefusedSessions);
        var clients = new List<KcpSession>();
        for (var i = 0; i < 5; i++)
        {
            clients.Add(_network.Connect(listener.LocalEndPoint, Options()));
            Assert.True(clients[i].TrySend([(byte)i]));
        }

        _network.RunFor(TimeSpan.FromSeconds(2));
        Assert.Equal(3, listener.SessionCount);
        Assert.Equal(3, limit.Open);
        var accepted = new List<KcpSession>();
        for (var i = 0; i < 3; i++)
        {
            accepted.Add(AcceptNow(listener));
        }

        using (var none = new CancellationTokenSource())
        {
            var fourth = listener.AcceptAsync(none.Token).AsTask();
            Assert.False(fourth.IsCompleted);
            await none.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => fourth);
        }

        // The two beyond the limit retransmit; each try is dropped and counted, the first one logged.
        var refused = Interlocked.Read(ref TunnelGauges.Global.RefusedSessions) - refusedBefore;
        Assert.True(refused >= 2, $"refused {refused}");
        Assert.True(listener.Counters.InErrs >= 2);
        var line = Assert.Single(_log);
        Assert.Contains(": 3 sessions open (limit 3), 3 waiting to be accepted (limit 128): dropped 1 datagram(s) opening new sessions", line, StringComparison.Ordinal);

        // Closing one server session frees its slot: the next retransmission of a waiting client opens a session.
        var closed = accepted[0];
        await closed.DisposeAsync();
        Assert.Equal(2, limit.Open);
        _network.RunUntil(() => listener.SessionCount == 3);
        var late = AcceptNow(listener);
        var first = new byte[1];
        Assert.Equal(1, late.TryReceive(first));
        Assert.InRange(first[0], 3, 4); // one of the two clients that were refused
        Assert.Equal(3, limit.Open);

        foreach (var session in clients.Concat(accepted).Append(late))
        {
            await session.DisposeAsync();
        }

        Assert.Equal(0, limit.Open);
    }

    [Fact]
    public async Task Refusals_are_logged_at_most_every_five_seconds()
    {
        var limit = KcpListener.NewSessionLimit(1);
        await using var listener = KcpListener.Start(_network.Bind(), _network.Configure(Logged()), limit);
        var clients = Enumerable.Range(0, 4).Select(_ => _network.Connect(listener.LocalEndPoint, Options())).ToList();
        foreach (var client in clients)
        {
            Assert.True(client.TrySend([1]));
        }

        // Three refused clients retransmit for 12 s: many drops, three log lines (at 0, 5 and 10 s).
        _network.RunFor(TimeSpan.FromSeconds(12));
        Assert.Equal(1, listener.SessionCount);
        Assert.Equal(3, _log.Count);
        Assert.All(_log.Skip(1), l => Assert.Matches(@"dropped \d+ datagram", l));
        Assert.True(_log.Skip(1).All(l => !l.Contains("dropped 1 datagram", StringComparison.Ordinal)), "later lines sum the drops of 5 s");
        foreach (var client in clients)
        {
            await client.DisposeAsync();
        }
    }

    [Fact]
    public async Task Listeners_of_one_server_share_its_limit()
    {
        var limit = KcpListener.NewSessionLimit(2);
        await using var one = KcpListener.Start(_network.Bind(), _network.Configure(Options()), limit);
        await using var two = KcpListener.Start(_network.Bind(), _network.Configure(Options()), limit);
        var clients = new[]
        {
            _network.Connect(one.LocalEndPoint, Options()),
            _network.Connect(two.LocalEndPoint, Options()),
            _network.Connect(two.LocalEndPoint, Options()),
            _network.Connect(one.LocalEndPoint, Options()),
        };
        foreach (var client in clients)
        {
            Assert.True(client.TrySend([1]));
        }

        _network.RunFor(TimeSpan.FromSeconds(1));
        Assert.Equal(2, one.SessionCount + two.SessionCount);
        Assert.Equal(2, limit.Open);
        foreach (var client in clients)
        {
            await client.DisposeAsync();
        }
    }

    [Fact]
    public async Task The_default_limit_is_per_listener_when_none_is_shared()
    {
        await using var listener = _network.Listen(Options());
        await using var client = _network.Connect(listener.LocalEndPoint, Options());
        Assert.True(client.TrySend([1]));
        _network.Settle();
        Assert.Equal(1, listener.SessionCount);
        Assert.Equal(1024, KcpListener.MaxSessions);
    }
}
