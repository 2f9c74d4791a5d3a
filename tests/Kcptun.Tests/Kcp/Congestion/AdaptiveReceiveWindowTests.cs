using Kcptun.Kcp;
using Kcptun.Kcp.Congestion;

namespace Kcptun.Tests.Kcp.Congestion;

/// <summary>
/// The receive window under bbr follows the path within the configured cap (docs/receive-window.md): it starts at
/// 1024 segments, grows to 1 s of the delivery rate while the application keeps up, and never past the cap.
/// </summary>
public class AdaptiveReceiveWindowTests
{
    private const int Cap = 32768;

    private static BottleneckLink Link(double bytesPerMs, uint oneWayDelay, int seed = 1)
    {
        var link = new BottleneckLink(1, seed, CongestionControl.Bbr, sendWindow: Cap, receiveWindow: Cap)
        {
            Rate = bytesPerMs,
            Delay = oneWayDelay,
            QueueLimit = (int)(bytesPerMs * 100),
        };
        link.Blocks[1].AdaptiveReceiveWindow = true;
        return link;
    }

    [Fact]
    public void Starts_at_1024_segments_with_the_configured_window_as_cap()
    {
        var link = Link(1250, 25);
        Assert.Equal((KcpControlBlock.InitialAdaptiveReceiveWindow, Cap), (link.Blocks[1].ReceiveWindow, link.Blocks[1].ReceiveWindowCap));
        link.Blocks[1].AdaptiveReceiveWindow = false;
        Assert.Equal(Cap, link.Blocks[1].ReceiveWindow);
    }

    [Fact]
    public void A_slow_path_never_needs_more_than_the_start()
    {
        // 10 Mbit/s x 50 ms: about 50 segments in flight.
        var link = Link(1250, 25);
        var goodput = link.Measure(10_000)[0];
        Assert.True(goodput > 0.85 * 1250, $"goodput {goodput:F0}");
        Assert.Equal(KcpControlBlock.InitialAdaptiveReceiveWindow, link.Blocks[1].ReceiveWindow);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.01)]
    public void A_long_fat_path_grows_the_window_to_what_it_carries_and_no_further(double loss)
    {
        // 100 Mbit/s x 100 ms: BDP about 940 segments; 1 s of the rate about 9,400.
        var link = Link(12_500, 50, seed: 3);
        link.Loss = loss;
        link.RunFor(10_000);
        var goodput = link.Measure(10_000)[0];
        int window = link.Blocks[1].ReceiveWindow;
        Assert.True(goodput > 0.8 * 12_500 * (1 - loss), $"goodput {goodput:F0}, window {window}");
        Assert.InRange(window, 4096, 16384);
    }

    [Fact]
    public void An_application_that_stops_reading_stops_the_growth_and_the_held_segments_stay_under_the_window()
    {
        var link = Link(12_500, 50, seed: 4);
        link.RunFor(10_000);
        int before = link.Blocks[1].ReceiveWindow;
        link.ReceiversRead = false;
        link.RunFor(20_000);

        KcpControlBlock receiver = link.Blocks[1];
        Assert.InRange(receiver.ReceiveWindow, before, before * 5 / 4);
        Assert.True(receiver.ReceiveWindow < Cap);
        Assert.True(receiver.ReceiveQueueCount + receiver.ReceiveBufferCount <= receiver.ReceiveWindow,
            $"{receiver.ReceiveQueueCount} queued + {receiver.ReceiveBufferCount} out of order, window {receiver.ReceiveWindow}");
        Assert.Equal(receiver.ReceiveWindow, receiver.ReceiveQueueCount);   // full, advertised window closed

        link.ReceiversRead = true;
        var goodput = link.Measure(10_000)[0];
        Assert.True(goodput > 0.5 * 12_500, $"goodput {goodput:F0} after the application resumed");
    }
}
