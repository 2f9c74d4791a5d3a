using Kcptun.ReedSolomon;

namespace Kcptun.Tests.ReedSolomon;

/// <summary>Every SIMD kernel against the scalar oracle on random lengths, offsets and coefficients.</summary>
public class GaloisKernelTests
{
    public static TheoryData<ReedSolomonKernel> Kernels => [ReedSolomonKernel.Scalar, ReedSolomonKernel.Vector128, ReedSolomonKernel.Vector256];

    [Theory]
    [MemberData(nameof(Kernels))]
    public void Kernel_equals_scalar_on_random_lengths_and_offsets(ReedSolomonKernel kernel)
    {
        var random = new Random(1234 + (int)kernel);
        var input = new byte[4200];
        var expected = new byte[4200];
        var actual = new byte[4200];
        for (int round = 0; round < 400; round++)
        {
            int length = round < 130 ? round : random.Next(0, 4000);
            int inOffset = random.Next(0, 64);
            int outOffset = random.Next(0, 64);
            byte c = round < 256 ? (byte)round : (byte)random.Next(256);
            random.NextBytes(input);
            random.NextBytes(expected);
            expected.CopyTo(actual, 0);
            bool accumulate = (round & 1) == 0;

            ReadOnlySpan<byte> source = input.AsSpan(inOffset, length);
            if (accumulate)
            {
                GaloisKernels.MultiplyAdd(ReedSolomonKernel.Scalar, c, source, expected.AsSpan(outOffset));
                GaloisKernels.MultiplyAdd(kernel, c, source, actual.AsSpan(outOffset));
            }
            else
            {
                GaloisKernels.Multiply(ReedSolomonKernel.Scalar, c, source, expected.AsSpan(outOffset));
                GaloisKernels.Multiply(kernel, c, source, actual.AsSpan(outOffset));
            }

            // Bytes outside [outOffset, outOffset + length) must be untouched too.
            Assert.True(expected.AsSpan().SequenceEqual(actual), $"kernel {kernel} c={c} length={length} offsets={inOffset}/{outOffset}");
        }
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void Multi_output_pass_equals_scalar_per_output(ReedSolomonKernel kernel)
    {
        var random = new Random(77 + (int)kernel);
        var input = new byte[3000];
        byte[][] expected = [new byte[3100], new byte[3100], new byte[3100], new byte[3100]];
        byte[][] actual = [new byte[3100], new byte[3100], new byte[3100], new byte[3100]];
        for (int round = 0; round < 300; round++)
        {
            int count = 1 + (round % 4);
            int length = round < 100 ? round : random.Next(0, 2900);
            int inOffset = random.Next(0, 40);
            int[] outOffsets = [random.Next(0, 40), random.Next(0, 40), random.Next(0, 40), random.Next(0, 40)];
            byte[] coefficients = new byte[count];
            random.NextBytes(coefficients);
            random.NextBytes(input);
            bool accumulate = (round & 4) != 0;
            for (int k = 0; k < 4; k++)
            {
                random.NextBytes(expected[k]);
                expected[k].CopyTo(actual[k], 0);
            }

            ReadOnlySpan<byte> source = input.AsSpan(inOffset, length);
            for (int k = 0; k < count; k++)
            {
                if (accumulate)
                {
                    GaloisKernels.MultiplyAdd(ReedSolomonKernel.Scalar, coefficients[k], source, expected[k].AsSpan(outOffsets[k]));
                }
                else
                {
                    GaloisKernels.Multiply(ReedSolomonKernel.Scalar, coefficients[k], source, expected[k].AsSpan(outOffsets[k]));
                }
            }

            GaloisKernels.MultiplyMany(
                kernel, coefficients, source, actual[0].AsSpan(outOffsets[0]), actual[1].AsSpan(outOffsets[1]),
                actual[2].AsSpan(outOffsets[2]), actual[3].AsSpan(outOffsets[3]), accumulate);
            for (int k = 0; k < 4; k++)
            {
                Assert.True(expected[k].AsSpan().SequenceEqual(actual[k]), $"kernel {kernel} round {round} output {k}");
            }
        }
    }

    [Fact]
    public void Scalar_kernel_is_the_field_product()
    {
        var input = new byte[256];
        for (int i = 0; i < 256; i++)
        {
            input[i] = (byte)i;
        }

        var output = new byte[256];
        GaloisKernels.Multiply(ReedSolomonKernel.Scalar, 0x8e, input, output);
        for (int i = 0; i < 256; i++)
        {
            Assert.Equal(GaloisField.Multiply(0x8e, (byte)i), output[i]);
        }
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void Kernel_works_in_place(ReedSolomonKernel kernel)
    {
        var random = new Random(99);
        var buffer = new byte[1350];
        random.NextBytes(buffer);
        var expected = new byte[1350];
        GaloisKernels.Multiply(ReedSolomonKernel.Scalar, 0x53, buffer, expected);
        GaloisKernels.Multiply(kernel, 0x53, buffer, buffer);
        Assert.Equal(expected, buffer);
    }

    [Fact]
    public void Best_kernel_is_supported_and_reported()
    {
        Assert.True(ReedSolomonCodec.IsKernelSupported(ReedSolomonCodec.BestKernel));
        Assert.True(ReedSolomonCodec.IsKernelSupported(ReedSolomonKernel.Scalar));
        if (ReedSolomonCodec.IsKernelSupported(ReedSolomonKernel.Vector256))
        {
            Assert.Equal(ReedSolomonKernel.Vector256, ReedSolomonCodec.BestKernel);
        }
    }

    [Fact]
    public void Output_shorter_than_input_is_rejected()
    {
        Assert.Throws<ArgumentException>(() => GaloisKernels.MultiplyAdd(ReedSolomonKernel.Scalar, 3, new byte[10], new byte[9]));
    }
}
