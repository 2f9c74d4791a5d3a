using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Kcptun.Crypto;

/// <summary>In-place XOR of a keystream into data, widest vectors first, bytes last.</summary>
internal static class XorBytes
{
    /// <summary><paramref name="data"/>[i] ^= <paramref name="keystream"/>[i] for i &lt; data.Length.</summary>
    public static void Apply(Span<byte> data, ReadOnlySpan<byte> keystream)
    {
        if (keystream.Length < data.Length)
        {
            throw new ArgumentException("keystream is shorter than data", nameof(keystream));
        }

        ref byte d = ref MemoryMarshal.GetReference(data);
        ref byte k = ref MemoryMarshal.GetReference(keystream);
        nuint n = (nuint)data.Length;
        nuint i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 32 <= n; i += 32)
            {
                (Vector256.LoadUnsafe(ref d, i) ^ Vector256.LoadUnsafe(ref k, i)).StoreUnsafe(ref d, i);
            }
        }

        if (Vector128.IsHardwareAccelerated)
        {
            for (; i + 16 <= n; i += 16)
            {
                (Vector128.LoadUnsafe(ref d, i) ^ Vector128.LoadUnsafe(ref k, i)).StoreUnsafe(ref d, i);
            }
        }

        for (; i + 8 <= n; i += 8)
        {
            ref byte at = ref Unsafe.Add(ref d, i);
            Unsafe.WriteUnaligned(ref at, Unsafe.ReadUnaligned<ulong>(ref at) ^ Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref k, i)));
        }

        for (; i < n; i++)
        {
            Unsafe.Add(ref d, i) ^= Unsafe.Add(ref k, i);
        }
    }
}
