using System.Diagnostics;
using System.Net;
using Kcptun.Transport;
using Xunit.Abstractions;
using static Kcptun.Tests.Transport.TransportTestSupport;
using Kcptun.Tests.Support;

namespace Kcptun.Tests.Transport;

/// <summary>
/// <see cref="KcpSession.Liveness"/> against a listener that is replaced on the same port, as a restarted server is:
/// the new listener takes the client's next segment for a new conversation and acknowledges it with una 0.
/// </summary>
public class PeerRestartTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_restarted_listener_is_proven_by_its_first_acknowledgement()
    {
        var ct = TimeoutToken();
        var first = KcpListener.Start(new IPEndPoint(IPAddress.Loopback, 0), Options(4, 2));
        var port = ((IPEndPoint)first.LocalEndPoint).Port;
        await using var client = await KcpSession.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), Options(4, 2), ct);
        var data = RandomBytes(256 * 1024, 7);
        await client.WriteAsync(data, ct);
        var server = await first.AcceptAsync(ct);
        var received = new byte[data.Length];
        await ReadExactlyAsync(server, received, ct);
        Assert.Equal(data, received);
        await server.WriteAsync(data, ct);
        await ReadExactlyAsync(client, received, ct);
        await Poll.UntilAsync(() => client.Liveness.OutstandingSince < 0, cancellationToken: ct);
        var healthy = client.Liveness;
        Assert.Equal(0, healthy.PeerRegressions);
        Assert.True(healthy.FirstSent >= 0 && healthy.LastReceived >= healthy.FirstSent);

        await server.DisposeAsync();
        await first.DisposeAsync();
        await using var second = KcpListener.Start(new IPEndPoint(IPAddress.Loopback, port), Options(4, 2));
        var clock = Stopwatch.StartNew();
        await client.WriteAsync(data.AsMemory(0, 100), ct);
        await Poll.UntilAsync(() => client.Liveness.PeerRegressions > 0, cancellationToken: ct);
        output.WriteLine($"regression seen {clock.ElapsedMilliseconds} ms after the first write to the new listener");
        Assert.True(client.Liveness.OutstandingSince >= 0, "the new peer never covers our una");
    }

    [Fact]
    public async Task A_session_that_nobody_answers_has_sent_and_never_received()
    {
        var ct = TimeoutToken();
        using var silent = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Udp);
        silent.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        await using var client = await KcpSession.ConnectAsync(silent.LocalEndPoint!, Options(), ct);
        Assert.Equal(-1, client.Liveness.FirstSent);
        await client.WriteAsync(new byte[10], ct);
        var liveness = client.Liveness;
        Assert.True(liveness.FirstSent >= 0);
        Assert.Equal(-1, liveness.LastReceived);
        Assert.True(liveness.OutstandingSince >= 0);
    }
}
