using Kcptun.Fuzz;

namespace Kcptun.Tests.Fuzz;

/// <summary>The fuzz harness's time budget, which validated QPP options extend by their pad count.</summary>
public sealed class FuzzHarnessTests
{
    [Fact]
    public void The_allowance_grows_by_what_is_added_and_names_it()
    {
        var allowance = new FuzzAllowance();
        Assert.Equal(FuzzBudget.Time, allowance.Total);
        Assert.Equal("5 s", allowance.ToString());

        allowance.Add(FuzzBudget.PadTime * 65535, "65535 QPP pads");

        Assert.Equal(FuzzBudget.Time + TimeSpan.FromMilliseconds(0.25 * 65535), allowance.Total);
        Assert.Equal("21.4 s (5 s + 65535 QPP pads)", allowance.ToString());
    }
}
