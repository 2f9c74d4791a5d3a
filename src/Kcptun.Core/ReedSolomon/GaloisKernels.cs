using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace Kcptun.ReedSolomon;

/// <summary>
/// Bulk GF(2^8) products of one coefficient with a byte run: <c>output = c * input</c> or <c>output ^= c * input</c>.
/// The SIMD kernels split each byte into nibbles and look both up in 16-entry product tables with a byte shuffle
/// (c * x = c * (x &amp; 15) ^ c * (x &amp; 0xF0)), the technique of klauspost/reedsolomon's SSSE3/AVX2 code.
/// </summary>
internal static class GaloisKernels
{
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
        Run(kernel, c, input, output, accumulate: false);

    /// <summary>output[..input.Length] ^= c * input.</summary>
    public static void MultiplyAdd(ReedSolomonKernel kernel, byte c, ReadOnlySpan<byte> input, Span<byte> output) =>
        Run(kernel, c, input, output, accumulate: true);

    private static void Run(ReedSolomonKernel kernel, byte c, ReadOnlySpan<byte> input, Span<byte> output, bool accumulate)
    {
        if (output.Length < input.Length)
        {
            throw new ArgumentException("The output is shorter than the input.", nameof(output));
        }

        ref byte source = ref MemoryMarshal.GetReference(input);
        ref byte destination = ref MemoryMarshal.GetReference(output);
        nuint length = (nuint)input.Length;
        nuint done = 0;

        // Widest first; each kernel leaves a tail shorter than its width to the next one.
        if (kernel >= ReedSolomonKernel.Vector256 && Avx2.IsSupported && length >= 32)
        {
            done = Vector256Kernel(c, ref source, ref destination, length, accumulate);
        }

        if (kernel >= ReedSolomonKernel.Vector128 && IsSupported(ReedSolomonKernel.Vector128) && length - done >= 16)
        {
            done += Vector128Kernel(c, ref Unsafe.Add(ref source, done), ref Unsafe.Add(ref destination, done), length - done, accumulate);
        }

        if (done < length)
        {
            ScalarKernel(c, input[(int)done..], output[(int)done..input.Length], accumulate);
        }
    }

    /// <summary>The most outputs <see cref="MultiplyMany"/> computes in one pass over its input.</summary>
    public const int MaxOutputsPerPass = 4;

    /// <summary>
    /// For k &lt; coefficients.Length (1..4): output_k = coefficients[k] * input, or ^= with
    /// <paramref name="accumulate"/>. One pass over the input serves all outputs (nibbles split once).
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

        if (output0.Length < input.Length || (count > 1 && output1.Length < input.Length)
            || (count > 2 && output2.Length < input.Length) || (count > 3 && output3.Length < input.Length))
        {
            throw new ArgumentException("An output is shorter than the input.", nameof(input));
        }

        nuint length = (nuint)input.Length;
        nuint done = 0;
        if (kernel >= ReedSolomonKernel.Vector256 && Avx2.IsSupported && length >= 32)
        {
            done = Vector256ManyKernel(
                coefficients, ref MemoryMarshal.GetReference(input), ref MemoryMarshal.GetReference(output0),
                ref MemoryMarshal.GetReference(output1), ref MemoryMarshal.GetReference(output2),
                ref MemoryMarshal.GetReference(output3), length, accumulate);
        }

        if (kernel >= ReedSolomonKernel.Vector128 && IsSupported(ReedSolomonKernel.Vector128) && length - done >= 16)
        {
            done += Vector128ManyKernel(
                coefficients, ref Unsafe.Add(ref MemoryMarshal.GetReference(input), done),
                ref Unsafe.Add(ref MemoryMarshal.GetReference(output0), done),
                ref Unsafe.Add(ref MemoryMarshal.GetReference(output1), count > 1 ? done : 0),
                ref Unsafe.Add(ref MemoryMarshal.GetReference(output2), count > 2 ? done : 0),
                ref Unsafe.Add(ref MemoryMarshal.GetReference(output3), count > 3 ? done : 0), length - done, accumulate);
        }

        // The tail (under 16 bytes) per output, scalar.
        int start = (int)done;
        Run(kernel, coefficients[0], input[start..], output0[start..], accumulate);
        if (count > 1)
        {
            Run(kernel, coefficients[1], input[start..], output1[start..], accumulate);
        }

        if (count > 2)
        {
            Run(kernel, coefficients[2], input[start..], output2[start..], accumulate);
        }

        if (count > 3)
        {
            Run(kernel, coefficients[3], input[start..], output3[start..], accumulate);
        }
    }

    /// <summary>Whole 32-byte blocks for up to four outputs; returns how many bytes it did.</summary>
    private static nuint Vector256ManyKernel(
        ReadOnlySpan<byte> coefficients, ref byte source, ref byte destination0, ref byte destination1,
        ref byte destination2, ref byte destination3, nuint length, bool accumulate)
    {
        int count = coefficients.Length;
        Vector256<byte> low0 = Vector256.Create(Vector128.LoadUnsafe(ref GaloisField.NibbleTablesReference(coefficients[0])));
        Vector256<byte> high0 = Vector256.Create(Vector128.LoadUnsafe(ref GaloisField.NibbleTablesReference(coefficients[0]), 16));
        Vector256<byte> low1 = default, high1 = default, low2 = default, high2 = default, low3 = default, high3 = default;
        if (count > 1)
        {
            low1 = Vector256.Create(Vector128.LoadUnsafe(ref GaloisField.NibbleTablesReference(coefficients[1])));
            high1 = Vector256.Create(Vector128.LoadUnsafe(ref GaloisField.NibbleTablesReference(coefficients[1]), 16));
        }

        if (count > 2)
        {
            low2 = Vector256.Create(Vector128.LoadUnsafe(ref GaloisField.NibbleTablesReference(coefficients[2])));
            high2 = Vector256.Create(Vector128.LoadUnsafe(ref GaloisField.NibbleTablesReference(coefficients[2]), 16));
        }

        if (count > 3)
        {
            low3 = Vector256.Create(Vector128.LoadUnsafe(ref GaloisField.NibbleTablesReference(coefficients[3])));
            high3 = Vector256.Create(Vector128.LoadUnsafe(ref GaloisField.NibbleTablesReference(coefficients[3]), 16));
        }

        Vector256<byte> mask = Vector256.Create((byte)0x0F);
        nuint i = 0;
        for (; i + 32 <= length; i += 32)
        {
            Vector256<byte> x = Vector256.LoadUnsafe(ref source, i);
            Vector256<byte> lo = x & mask;
            Vector256<byte> hi = Vector256.ShiftRightLogical(x.AsUInt16(), 4).AsByte() & mask;

            Vector256<byte> p = Avx2.Shuffle(low0, lo) ^ Avx2.Shuffle(high0, hi);
            if (accumulate)
            {
                p ^= Vector256.LoadUnsafe(ref destination0, i);
            }

            p.StoreUnsafe(ref destination0, i);
            if (count > 1)
            {
                p = Avx2.Shuffle(low1, lo) ^ Avx2.Shuffle(high1, hi);
                if (accumulate)
                {
                    p ^= Vector256.LoadUnsafe(ref destination1, i);
                }

                p.StoreUnsafe(ref destination1, i);
            }

            if (count > 2)
            {
                p = Avx2.Shuffle(low2, lo) ^ Avx2.Shuffle(high2, hi);
                if (accumulate)
                {
                    p ^= Vector256.LoadUnsafe(ref destination2, i);
                }

                p.StoreUnsafe(ref destination2, i);
            }

            if (count > 3)
            {
                p = Avx2.Shuffle(low3, lo) ^ Avx2.Shuffle(high3, hi);
                if (accumulate)
                {
                    p ^= Vector256.LoadUnsafe(ref destination3, i);
                }

                p.StoreUnsafe(ref destination3, i);
            }
        }

        return i;
    }

    /// <summary>Whole 16-byte blocks for up to four outputs; returns how many bytes it did.</summary>
    private static nuint Vector128ManyKernel(
        ReadOnlySpan<byte> coefficients, ref byte source, ref byte destination0, ref byte destination1,
        ref byte destination2, ref byte destination3, nuint length, bool accumulate)
    {
        int count = coefficients.Length;
        Vector128<byte> low0 = Vector128.LoadUnsafe(ref GaloisField.NibbleTablesReference(coefficients[0]));
        Vector128<byte> high0 = Vector128.LoadUnsafe(ref GaloisField.NibbleTablesReference(coefficients[0]), 16);
        Vector128<byte> low1 = default, high1 = default, low2 = default, high2 = default, low3 = default, high3 = default;
        if (count > 1)
        {
            low1 = Vector128.LoadUnsafe(ref GaloisField.NibbleTablesReference(coefficients[1]));
            high1 = Vector128.LoadUnsafe(ref GaloisField.NibbleTablesReference(coefficients[1]), 16);
        }

        if (count > 2)
        {
            low2 = Vector128.LoadUnsafe(ref GaloisField.NibbleTablesReference(coefficients[2]));
            high2 = Vector128.LoadUnsafe(ref GaloisField.NibbleTablesReference(coefficients[2]), 16);
        }

        if (count > 3)
        {
            low3 = Vector128.LoadUnsafe(ref GaloisField.NibbleTablesReference(coefficients[3]));
            high3 = Vector128.LoadUnsafe(ref GaloisField.NibbleTablesReference(coefficients[3]), 16);
        }

        Vector128<byte> mask = Vector128.Create((byte)0x0F);
        nuint i = 0;
        for (; i + 16 <= length; i += 16)
        {
            Vector128<byte> x = Vector128.LoadUnsafe(ref source, i);
            Vector128<byte> lo = x & mask;
            Vector128<byte> hi = Vector128.ShiftRightLogical(x.AsUInt16(), 4).AsByte() & mask;

            Vector128<byte> p = Vector128.ShuffleNative(low0, lo) ^ Vector128.ShuffleNative(high0, hi);
            if (accumulate)
            {
                p ^= Vector128.LoadUnsafe(ref destination0, i);
            }

            p.StoreUnsafe(ref destination0, i);
            if (count > 1)
            {
                p = Vector128.ShuffleNative(low1, lo) ^ Vector128.ShuffleNative(high1, hi);
                if (accumulate)
                {
                    p ^= Vector128.LoadUnsafe(ref destination1, i);
                }

                p.StoreUnsafe(ref destination1, i);
            }

            if (count > 2)
            {
                p = Vector128.ShuffleNative(low2, lo) ^ Vector128.ShuffleNative(high2, hi);
                if (accumulate)
                {
                    p ^= Vector128.LoadUnsafe(ref destination2, i);
                }

                p.StoreUnsafe(ref destination2, i);
            }

            if (count > 3)
            {
                p = Vector128.ShuffleNative(low3, lo) ^ Vector128.ShuffleNative(high3, hi);
                if (accumulate)
                {
                    p ^= Vector128.LoadUnsafe(ref destination3, i);
                }

                p.StoreUnsafe(ref destination3, i);
            }
        }

        return i;
    }

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

    /// <summary>Processes whole 16-byte blocks; returns how many bytes it did.</summary>
    private static nuint Vector128Kernel(byte c, ref byte source, ref byte destination, nuint length, bool accumulate)
    {
        ref byte tables = ref GaloisField.NibbleTablesReference(c);
        Vector128<byte> low = Vector128.LoadUnsafe(ref tables);
        Vector128<byte> high = Vector128.LoadUnsafe(ref tables, 16);
        Vector128<byte> mask = Vector128.Create((byte)0x0F);
        nuint i = 0;
        for (; i + 16 <= length; i += 16)
        {
            Vector128<byte> x = Vector128.LoadUnsafe(ref source, i);
            Vector128<byte> lo = x & mask;
            Vector128<byte> hi = Vector128.ShiftRightLogical(x.AsUInt16(), 4).AsByte() & mask;

            // Indices are 0..15, where ShuffleNative (pshufb / tbl) is exact on every platform.
            Vector128<byte> product = Vector128.ShuffleNative(low, lo) ^ Vector128.ShuffleNative(high, hi);
            if (accumulate)
            {
                product ^= Vector128.LoadUnsafe(ref destination, i);
            }

            product.StoreUnsafe(ref destination, i);
        }

        return i;
    }

    /// <summary>Processes whole 32-byte blocks (two at a time while it can); returns how many bytes it did.</summary>
    private static nuint Vector256Kernel(byte c, ref byte source, ref byte destination, nuint length, bool accumulate)
    {
        // vpshufb looks up within each 128-bit lane, so both lanes carry the same 16-entry table.
        ref byte tables = ref GaloisField.NibbleTablesReference(c);
        Vector256<byte> low = Vector256.Create(Vector128.LoadUnsafe(ref tables));
        Vector256<byte> high = Vector256.Create(Vector128.LoadUnsafe(ref tables, 16));
        Vector256<byte> mask = Vector256.Create((byte)0x0F);
        nuint i = 0;
        for (; i + 64 <= length; i += 64)
        {
            Vector256<byte> x0 = Vector256.LoadUnsafe(ref source, i);
            Vector256<byte> x1 = Vector256.LoadUnsafe(ref source, i + 32);
            Vector256<byte> p0 = Avx2.Shuffle(low, x0 & mask)
                ^ Avx2.Shuffle(high, Vector256.ShiftRightLogical(x0.AsUInt16(), 4).AsByte() & mask);
            Vector256<byte> p1 = Avx2.Shuffle(low, x1 & mask)
                ^ Avx2.Shuffle(high, Vector256.ShiftRightLogical(x1.AsUInt16(), 4).AsByte() & mask);
            if (accumulate)
            {
                p0 ^= Vector256.LoadUnsafe(ref destination, i);
                p1 ^= Vector256.LoadUnsafe(ref destination, i + 32);
            }

            p0.StoreUnsafe(ref destination, i);
            p1.StoreUnsafe(ref destination, i + 32);
        }

        for (; i + 32 <= length; i += 32)
        {
            Vector256<byte> x = Vector256.LoadUnsafe(ref source, i);
            Vector256<byte> product = Avx2.Shuffle(low, x & mask)
                ^ Avx2.Shuffle(high, Vector256.ShiftRightLogical(x.AsUInt16(), 4).AsByte() & mask);
            if (accumulate)
            {
                product ^= Vector256.LoadUnsafe(ref destination, i);
            }

            product.StoreUnsafe(ref destination, i);
        }

        return i;
    }
}
