using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace Kcptun.ReedSolomon;

/// <summary>
/// Bulk GF(2^8) products of coefficients with a byte run: <c>output_k = c_k * input</c> or <c>output_k ^= c_k * input</c>
/// for up to four outputs per pass over the input. The SIMD kernels split each byte into nibbles and look both up in
/// 16-entry product tables with a byte shuffle (c * x = c * (x &amp; 15) ^ c * (x &amp; 0xF0)), the technique of
/// klauspost/reedsolomon's SSSE3/AVX2 code. Widest kernel first; each leaves its tail to the next narrower one.
/// </summary>
internal static partial class GaloisKernels
{
    /// <summary>The most outputs <see cref="MultiplyMany"/> computes in one pass over its input.</summary>
    public const int MaxOutputsPerPass = 4;

    /// <summary>The widest kernel this machine runs.</summary>
    public static ReedSolomonKernel Best { get; } =
        IsSupported(ReedSolomonKernel.Vector256) ? ReedSolomonKernel.Vector256 :
        IsSupported(ReedSolomonKernel.Vector128) ? ReedSolomonKernel.Vector128 :
        ReedSolomonKernel.Scalar;

    /// <summary>Whether the hardware (and DOTNET_EnableHWIntrinsic) lets <paramref name="kernel"/> run.</summary>
    public static bool IsSupported(ReedSolomonKernel kernel) => kernel switch
    {
        ReedSolomonKernel.Scalar => true,
        ReedSolomonKernel.Vector128 => Vector128.IsHardwareAccelerated && (Ssse3.IsSupported || AdvSimd.Arm64.IsSupported),
        ReedSolomonKernel.Vector256 => Avx2.IsSupported,
        _ => false,
    };

    /// <summary>output[..input.Length] = c * input.</summary>
    public static void Multiply(ReedSolomonKernel kernel, byte c, ReadOnlySpan<byte> input, Span<byte> output) =>
        MultiplyMany(kernel, [c], input, output, default, default, default, accumulate: false);

    /// <summary>output[..input.Length] ^= c * input.</summary>
    public static void MultiplyAdd(ReedSolomonKernel kernel, byte c, ReadOnlySpan<byte> input, Span<byte> output) =>
        MultiplyMany(kernel, [c], input, output, default, default, default, accumulate: true);

    /// <summary>
    /// For k &lt; coefficients.Length (1..4): output_k[..input.Length] = coefficients[k] * input, or ^= with
    /// <paramref name="accumulate"/>. One pass over the input serves all outputs (nibbles split once).
    /// Outputs must not overlap the input except exactly (in place).
    /// </summary>
    public static void MultiplyMany(
        ReedSolomonKernel kernel, ReadOnlySpan<byte> coefficients, ReadOnlySpan<byte> input,
        Span<byte> output0, Span<byte> output1, Span<byte> output2, Span<byte> output3, bool accumulate)
    {
        int count = coefficients.Length;
        if (count is < 1 or > MaxOutputsPerPass)
        {
            throw new ArgumentOutOfRangeException(nameof(coefficients), "One to four outputs per pass.");
        }

        int length = input.Length;
        if (output0.Length < length || (count > 1 && output1.Length < length)
            || (count > 2 && output2.Length < length) || (count > 3 && output3.Length < length))
        {
            throw new ArgumentException("An output is shorter than the input.", nameof(input));
        }

        var run = new Run(
            coefficients, ref MemoryMarshal.GetReference(input), ref MemoryMarshal.GetReference(output0),
            ref MemoryMarshal.GetReference(output1), ref MemoryMarshal.GetReference(output2),
            ref MemoryMarshal.GetReference(output3), accumulate);
        nuint done = 0;
        if (kernel >= ReedSolomonKernel.Vector256 && Avx2.IsSupported)
        {
            done = VectorKernel<Avx2Lanes, Vector256<byte>>(run, 0, (nuint)length);
        }

        if (kernel >= ReedSolomonKernel.Vector128 && IsSupported(ReedSolomonKernel.Vector128))
        {
            done = VectorKernel<NativeLanes, Vector128<byte>>(run, done, (nuint)length);
        }

        int start = (int)done;
        ScalarKernel(coefficients[0], input[start..], output0[start..], accumulate);
        if (count > 1)
        {
            ScalarKernel(coefficients[1], input[start..], output1[start..], accumulate);
        }

        if (count > 2)
        {
            ScalarKernel(coefficients[2], input[start..], output2[start..], accumulate);
        }

        if (count > 3)
        {
            ScalarKernel(coefficients[3], input[start..], output3[start..], accumulate);
        }
    }

    /// <summary>The oracle: one table lookup per byte.</summary>
    private static void ScalarKernel(byte c, ReadOnlySpan<byte> input, Span<byte> output, bool accumulate)
    {
        ReadOnlySpan<byte> row = GaloisField.MultiplicationRow(c);
        if (accumulate)
        {
            for (int i = 0; i < input.Length; i++)
            {
                output[i] ^= row[input[i]];
            }
        }
        else
        {
            for (int i = 0; i < input.Length; i++)
            {
                output[i] = row[input[i]];
            }
        }
    }

    /// <summary>
    /// Whole vectors from <paramref name="start"/> while they fit, for up to four outputs; returns the new position.
    /// Specialised per vector type (struct generic arguments), so every lane operation inlines.
    /// </summary>
    private static nuint VectorKernel<TLanes, TVector>(in Run run, nuint start, nuint length)
        where TLanes : struct, ILanes<TVector>
        where TVector : struct
    {
        nuint width = TLanes.Width;
        if (length - start < width)
        {
            return start;
        }

        ReadOnlySpan<byte> coefficients = run.Coefficients;
        int count = coefficients.Length;
        TVector low0 = TLanes.Table(coefficients[0], 0), high0 = TLanes.Table(coefficients[0], 16);
        TVector low1 = default, high1 = default, low2 = default, high2 = default, low3 = default, high3 = default;
        if (count > 1)
        {
            low1 = TLanes.Table(coefficients[1], 0);
            high1 = TLanes.Table(coefficients[1], 16);
        }

        if (count > 2)
        {
            low2 = TLanes.Table(coefficients[2], 0);
            high2 = TLanes.Table(coefficients[2], 16);
        }

        if (count > 3)
        {
            low3 = TLanes.Table(coefficients[3], 0);
            high3 = TLanes.Table(coefficients[3], 16);
        }

        // Locals, so the loop keeps refs and the mask in registers instead of reloading them.
        bool accumulate = run.Accumulate;
        ref byte source = ref run.Source;
        ref byte destination0 = ref run.Destination0;
        ref byte destination1 = ref run.Destination1;
        ref byte destination2 = ref run.Destination2;
        ref byte destination3 = ref run.Destination3;
        TVector mask = TLanes.NibbleMask;
        nuint i = start;
        for (; i + width <= length; i += width)
        {
            TVector x = TLanes.Load(ref source, i);
            TVector lo = TLanes.LowNibbles(x, mask);
            TVector hi = TLanes.HighNibbles(x, mask);
            Emit<TLanes, TVector>(TLanes.Product(low0, high0, lo, hi), ref destination0, i, accumulate);
            if (count > 1)
            {
                Emit<TLanes, TVector>(TLanes.Product(low1, high1, lo, hi), ref destination1, i, accumulate);
            }

            if (count > 2)
            {
                Emit<TLanes, TVector>(TLanes.Product(low2, high2, lo, hi), ref destination2, i, accumulate);
            }

            if (count > 3)
            {
                Emit<TLanes, TVector>(TLanes.Product(low3, high3, lo, hi), ref destination3, i, accumulate);
            }
        }

        return i;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Emit<TLanes, TVector>(TVector product, ref byte destination, nuint offset, bool accumulate)
        where TLanes : struct, ILanes<TVector>
        where TVector : struct
    {
        if (accumulate)
        {
            product = TLanes.Xor(product, TLanes.Load(ref destination, offset));
        }

        TLanes.Store(product, ref destination, offset);
    }

    /// <summary>The arguments of one pass (refs to the first byte of input and outputs).</summary>
    private readonly ref struct Run(
        ReadOnlySpan<byte> coefficients, ref byte source, ref byte destination0, ref byte destination1,
        ref byte destination2, ref byte destination3, bool accumulate)
    {
        public readonly ReadOnlySpan<byte> Coefficients = coefficients;
        public readonly ref byte Source = ref source;
        public readonly ref byte Destination0 = ref destination0;
        public readonly ref byte Destination1 = ref destination1;
        public readonly ref byte Destination2 = ref destination2;
        public readonly ref byte Destination3 = ref destination3;
        public readonly bool Accumulate = accumulate;
    }
}
