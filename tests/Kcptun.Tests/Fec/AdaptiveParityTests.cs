using Kcptun.Fec;

namespace Kcptun.Tests.Fec;

/// <summary>The adaptive FEC policy (docs/fec-adaptive.md): residual-loss model, its inverse, and the parity it settles on.</summary>
public class AdaptiveParityTests
{
    [Theory]
    [InlineData(0.01, 0, 0.01)]
    [InlineData(0.05, 1, 0.0201)]     // 0.05 x (1 - 0.95^10)
    [InlineData(0.10, 3, 0.01111)]    // 0.1 x P[Bin(12, 0.1) >= 3]
    [InlineData(0.0, 3, 0.0)]
    public void Residual_loss_is_the_chance_a_data_packet_is_lost_beyond_repair(double loss, int parity, double expected)
    {
        Assert.Equal(expected, AdaptiveParity.ResidualLoss(loss, 10, parity), 4);
    }

    [Theory]
    [InlineData(0.01, 0)]
    [InlineData(0.05, 1)]
    [InlineData(0.12, 2)]
    [InlineData(0.3, 3)]
    public void Estimate_inverts_the_residual(double loss, int parity)
    {
        double residual = AdaptiveParity.ResidualLoss(loss, 10, parity);
        Assert.Equal(loss, AdaptiveParity.EstimateLoss(residual, 10, parity), 4);
    }

    [Theory]
    [InlineData(0.0, 0)]
    [InlineData(0.01, 0)]
    [InlineData(0.04, 0)]
    [InlineData(0.07, 1)]
    [InlineData(0.10, 2)]
    [InlineData(0.20, 3)]
    public void Settles_on_the_least_parity_that_keeps_the_residual_under_target_from_full_parity(double loss, int expected)
    {
        var policy = new AdaptiveParity(10, 3);
        Run(policy, loss, windows: 20);
        Assert.Equal(expected, policy.ParityShards);
        Assert.Equal(loss, policy.EstimatedLoss, 3);
    }

    [Theory]
    [InlineData(0.15, 2)]
    [InlineData(0.30, 3)]
    public void Rises_straight_to_the_needed_parity_when_loss_appears(double loss, int expected)
    {
        // Light loss is left to ARQ (AdaptiveParity.TargetResidualLoss): 1% and 5% keep parity 0.
        foreach (var light in new[] { 0.01, 0.05 })
        {
            var quiet = new AdaptiveParity(10, 3);
            Run(quiet, 0, windows: 10);
            Run(quiet, light, windows: 3);
            Assert.Equal(0, quiet.ParityShards);
        }

        var policy = new AdaptiveParity(10, 3);
        Run(policy, 0, windows: 10);
        Assert.Equal(0, policy.ParityShards);

        Run(policy, loss, windows: 1);
        Assert.Equal(expected, policy.ParityShards);
        Assert.Equal((0, 3), (policy.MinParitySeen, policy.MaxParitySeen));
        Assert.True(AdaptiveParity.ResidualLoss(loss, 10, policy.ParityShards) <= AdaptiveParity.TargetResidualLoss || policy.ParityShards == 3);
    }

    [Fact]
    public void Never_exceeds_the_configured_parity_and_steps_down_one_at_a_time()
    {
        var policy = new AdaptiveParity(10, 2);
        Run(policy, 0.4, windows: 5);
        Assert.Equal(2, policy.ParityShards);

        var steps = new List<int>();
        for (int i = 0; i < 10; i++)
        {
            Run(policy, 0, windows: 1);
            steps.Add(policy.ParityShards);
        }

        // The estimate halves per quiet window (0.2, 0.1, 0.05, ...): parity falls one step at a time, to none.
        Assert.Equal([2, 2, 1, 0, 0, 0, 0, 0, 0, 0], steps);
    }

    [Fact]
    public void Nothing_changes_before_a_window_of_segments_was_sent()
    {
        var policy = new AdaptiveParity(10, 3);
        Assert.False(policy.Observe(AdaptiveParity.WindowSegments - 1, 0, 0));
        Assert.Equal(3, policy.ParityShards);
        Assert.True(policy.Observe(AdaptiveParity.WindowSegments, 0, 0));
        Assert.Equal(2, policy.ParityShards);
    }

    [Theory]
    [InlineData(0.0, 0, 0)]
    [InlineData(0.005, 0, 2)]
    [InlineData(0.01, 0, 3)]
    [InlineData(0.02, 0, 3)]
    [InlineData(0.07, 1, 3)]
    public void While_the_windows_bind_it_aims_far_lower_and_goes_back_when_they_stop(double loss, int free, int bound)
    {
        var policy = new AdaptiveParity(10, 3);
        Run(policy, loss, windows: 20, windowLimited: true);
        Assert.True(policy.WindowLimited);
        Assert.Equal(bound, policy.ParityShards);

        Run(policy, loss, windows: 20, windowLimited: false);
        Assert.False(policy.WindowLimited);
        Assert.Equal(free, policy.ParityShards);
    }

    [Fact]
    public void When_a_loss_would_delay_another_stream_it_aims_as_low_as_when_the_windows_bind()
    {
        var interleaved = true;
        var policy = new AdaptiveParity(10, 3) { LatencySensitive = () => interleaved };
        Run(policy, 0.01, windows: 20);
        Assert.True(policy.Latency);
        Assert.Equal(3, policy.ParityShards);

        interleaved = false;
        Run(policy, 0.01, windows: 20);
        Assert.False(policy.Latency);
        Assert.Equal(0, policy.ParityShards);

        interleaved = true;
        Run(policy, 0, windows: 20);
        Assert.Equal(0, policy.ParityShards); // a clean path needs no parity, interleaved or not
    }

    [Fact]
    public void A_second_stream_gets_the_strict_parity_at_once_not_a_window_later()
    {
        // A download alone at 1% loss: no parity (the 10% target).
        var interleaved = false;
        var policy = new AdaptiveParity(10, 3) { LatencySensitive = () => interleaved };
        Run(policy, 0.01, windows: 20);
        Assert.Equal(0, policy.ParityShards);

        // A request stream starts: the next flush's observation, 10 segments into a decision window, raises it.
        long[] totals = Totals.GetValue(policy, _ => new long[3]);
        interleaved = true;
        Assert.True(policy.Observe(totals[0] + 10, totals[1], totals[2]));
        Assert.True(policy.Latency);
        Assert.Equal(3, policy.ParityShards);

        // Only once: the window then decides as before (the streams stopped interleaving: back to the 10% target).
        interleaved = false;
        Assert.False(policy.Observe(totals[0] + 20, totals[1], totals[2]));
        Run(policy, 0.01, windows: 20);
        Assert.False(policy.Latency);
        Assert.Equal(0, policy.ParityShards);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void A_quiet_window_does_not_strip_parity_the_strict_target_needs(int seed)
    {
        // 1% loss while the windows bind, windows of 1024 segments whose needed resends are drawn at random at the
        // residual of the parity in force: at 3 shards one in ~500,000 segments, so almost every window is quiet. A
        // quiet window must not read as a clean path (it used to step the parity down to 1 and back, about 2 on average).
        var random = new Random(seed);
        var policy = new AdaptiveParity(10, 3);
        long sent = 0, lost = 0, atThree = 0;
        const int Windows = 2000;
        for (var i = 0; i < Windows; i++)
        {
            var residual = AdaptiveParity.ResidualLoss(0.01, policy.DataShards, policy.ParityShards);
            for (var k = 0; k < AdaptiveParity.WindowSegments; k++)
            {
                lost += random.NextDouble() < residual ? 1 : 0;
            }

            sent += AdaptiveParity.WindowSegments;
            policy.Observe(sent, lost, windowLimitedFlushes: i + 1);
            atThree += policy.ParityShards == 3 ? 1 : 0;
        }

        Assert.True(atThree > 0.75 * Windows, $"{atThree} of {Windows} windows at 3 shards (min seen {policy.MinParitySeen})");
    }

    [Fact]
    public void While_the_windows_bind_quiet_windows_at_the_start_keep_the_full_parity()
    {
        // Full parity repairs everything, so the first windows are quiet whatever the loss: while the windows bind that
        // is no evidence for less parity (a step down opened holes just as a Go receiver's window bound), while they do
        // not, a quiet window is enough.
        var bound = new AdaptiveParity(10, 3);
        var free = new AdaptiveParity(10, 3);
        for (int i = 1; i <= 20; i++)
        {
            bound.Observe(i * AdaptiveParity.WindowSegments, 0, windowLimitedFlushes: i);
            free.Observe(i * AdaptiveParity.WindowSegments, 0, windowLimitedFlushes: 0);
        }

        Assert.Equal(3, bound.ParityShards);
        Assert.Equal(0, free.ParityShards);

        // A long enough quiet stretch (one at the step-down level would have shown a resend) does step it down.
        long sent = 20 * AdaptiveParity.WindowSegments;
        long quietNeeded = (long)(1 / (AdaptiveParity.WindowLimitedTargetResidualLoss * AdaptiveParity.StepDownShare));
        for (int i = 21; sent < quietNeeded + (2 * AdaptiveParity.WindowSegments); i++)
        {
            sent += AdaptiveParity.WindowSegments;
            bound.Observe(sent, 0, windowLimitedFlushes: i);
        }

        Assert.Equal(2, bound.ParityShards);
    }

    [Fact]
    public void The_strict_target_holds_a_few_windows_after_the_windows_last_bound()
    {
        // A window-bound sender is not held back in every decision window (the pacer binds in between): one free window
        // must not bring the 10% target and a step down that the bound window then pays for.
        var policy = new AdaptiveParity(10, 3);
        Run(policy, 0.01, windows: 20, windowLimited: true);
        Assert.Equal(3, policy.ParityShards);

        for (int i = 0; i < AdaptiveParity.WindowLimitedHoldWindows; i++)
        {
            Run(policy, 0.01, windows: 1, windowLimited: false);
            Assert.True(policy.WindowLimited, $"free window {i + 1}");
        }

        Run(policy, 0.01, windows: 1, windowLimited: false);
        Assert.False(policy.WindowLimited);
        Run(policy, 0.01, windows: 20, windowLimited: false);
        Assert.Equal(0, policy.ParityShards);
    }

    // Feeds windows whose retransmissions are exactly what the model predicts for the parity in force.
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<AdaptiveParity, long[]> Totals = new();

    private static void Run(AdaptiveParity policy, double loss, int windows, bool windowLimited = false)
    {
        long[] totals = Totals.GetValue(policy, _ => new long[3]);
        for (int i = 0; i < windows; i++)
        {
            double residual = AdaptiveParity.ResidualLoss(loss, policy.DataShards, policy.ParityShards);
            totals[0] += 100_000;
            totals[1] += (long)Math.Round(residual * 100_000);
            totals[2] += windowLimited ? 7 : 0;
            policy.Observe(totals[0], totals[1], totals[2]);
        }
    }
}
