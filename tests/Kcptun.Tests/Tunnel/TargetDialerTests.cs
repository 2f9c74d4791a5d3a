using System.Net;
using System.Net.Sockets;
using Kcptun.Tunnel;

namespace Kcptun.Tests.Tunnel;

public class TargetDialerTests
{
    [Fact]
    public void The_default_timeout_is_20260314s_10_seconds()
    {
        Assert.Equal(TimeSpan.FromSeconds(10), TargetDialer.DefaultTimeout);
    }

    [Fact]
    public async Task A_target_that_never_answers_fails_with_a_timeout_that_says_so()
    {
        // A loopback listener that never accepts: once its backlog is full, Linux drops further SYNs and a connect hangs.
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(0);
        var address = (IPEndPoint)listener.LocalEndPoint!;
        var fillers = new List<Socket>();
        try
        {
            while (true)
            {
                Assert.True(fillers.Count < 64, "the listener's backlog never filled");
                var filler = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                fillers.Add(filler);
                using var quick = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
                try
                {
                    await filler.ConnectAsync(address, quick.Token);
                }
                catch (OperationCanceledException)
                {
                    break; // this one hangs: the backlog is full
                }
            }

            var dialer = new TargetDialer($"127.0.0.1:{address.Port}", TimeSpan.FromMilliseconds(300));
            var error = await Assert.ThrowsAsync<IOException>(() => dialer.ConnectAsync(CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(20)));
            Assert.Equal($"dial tcp 127.0.0.1:{address.Port}: i/o timeout (no answer within 0.3 s)", error.Message);

            // The caller's own cancellation stays a cancellation.
            using var cancelled = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
            var slow = new TargetDialer($"127.0.0.1:{address.Port}");
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => slow.ConnectAsync(cancelled.Token).AsTask().WaitAsync(TimeSpan.FromSeconds(20)));
        }
        finally
        {
            foreach (var filler in fillers)
            {
                filler.Dispose();
            }
        }
    }
}
