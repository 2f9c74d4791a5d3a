using Kcptun.EndToEnd.Emulation;

namespace Kcptun.Tests.Bench;

public class GilbertElliottTests
{
    [Fact]
    public void Seeded_chain_matches_stationary_loss_and_mean_burst_length()
    {
        var parameters = new GilbertElliottParameters(EnterBad: 0.01, LeaveBad: 0.25, LossInGood: 0, LossInBad: 1);
        var chain = new GilbertElliott(parameters);
        var random = new Random(12345);
        const int packets = 400_000;
        int lost = 0, bursts = 0, run = 0;
        for (var i = 0; i < packets; i++)
        {
            if (chain.NextIsLost(random))
            {
                lost++;
                run++;
            }
            else if (run > 0)
            {
                bursts++;
                run = 0;
            }
        }

        Assert.Equal(0.01 / 0.26, parameters.StationaryLoss, 6);
        Assert.Equal(4, parameters.MeanBadRun, 6);
        var lossRate = lost / (double)packets;
        Assert.InRange(lossRate, parameters.StationaryLoss * 0.9, parameters.StationaryLoss * 1.1);
        var meanBurst = lost / (double)bursts;
        Assert.InRange(meanBurst, 4 * 0.9, 4 * 1.1);
    }

    [Fact]
    public void Partial_loss_in_each_state_mixes_as_the_formula_says()
    {
        var parameters = new GilbertElliottParameters(0.05, 0.2, LossInGood: 0.01, LossInBad: 0.5);
        var chain = new GilbertElliott(parameters);
        var random = new Random(7);
        var lost = 0;
        for (var i = 0; i < 400_000; i++)
        {
            lost += chain.NextIsLost(random) ? 1 : 0;
        }

        // (0.2 * 0.01 + 0.05 * 0.5) / 0.25 = 0.108
        Assert.Equal(0.108, parameters.StationaryLoss, 6);
        Assert.InRange(lost / 400_000.0, 0.108 * 0.93, 0.108 * 1.07);
    }

    [Fact]
    public void Same_seed_gives_the_same_loss_pattern()
    {
        var parameters = new GilbertElliottParameters(0.02, 0.3, 0, 0.8);
        static string Pattern(GilbertElliottParameters p, int seed)
        {
            var chain = new GilbertElliott(p);
            var random = new Random(seed);
            return string.Concat(Enumerable.Range(0, 2000).Select(_ => chain.NextIsLost(random) ? 'x' : '.'));
        }

        Assert.Equal(Pattern(parameters, 99), Pattern(parameters, 99));
        Assert.NotEqual(Pattern(parameters, 99), Pattern(parameters, 100));
    }
}
