using Kcptun.Crypto;
using Kcptun.Fuzz;

namespace Kcptun.Tests.Fuzz;

/// <summary>The fuzz harness's own rules: what it leaves uninstrumented, and the time budget QPP pads extend.</summary>
public sealed class FuzzHarnessTests
{
    [Fact]
    public void Instrumentation_leaves_out_only_the_qpp_pad_builder_and_its_nested_types()
    {
        Assert.False(Instrumentation.Includes("Kcptun.Crypto.QuantumPermutationPad"));
        Assert.False(Instrumentation.Includes("Kcptun.Crypto.QuantumPermutationPad/<>c__DisplayClass16_0"));
        Assert.False(Instrumentation.Includes("Kcptun.Crypto.AesNiBlock"));
        Assert.False(Instrumentation.Includes("Kcptun.Crypto.BlockFunction"));
        Assert.True(Instrumentation.Includes(typeof(QppTransform).FullName!));
        Assert.True(Instrumentation.Includes(typeof(AesNiCfbCipher).FullName!));
        Assert.True(Instrumentation.Includes(typeof(CfbCipher).FullName!));
        Assert.True(Instrumentation.Includes("Kcptun.Crypto.QuantumPermutationPadding"));
        Assert.True(Instrumentation.Includes("Snappier.Snappy"));
    }

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
