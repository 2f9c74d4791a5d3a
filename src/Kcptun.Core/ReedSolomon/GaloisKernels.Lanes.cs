using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Kcptun.ReedSolomon;

internal static partial class GaloisKernels
{
    /// <summary>The vector operations the nibble-table kernel needs, for one vector width.</summary>
    private interface ILanes<TVector>
        where TVector : struct
    {
        static abstract nuint Width { get; }

        /// <summary>The 16-byte table at NibbleTables(c)[offset..] in every 128-bit lane.</summary>
        static abstract TVector Table(byte c, int offset);

        static abstract TVector Load(ref byte source, nuint offset);

        static abstract void Store(TVector value, ref byte destination, nuint offset);

        /// <summary>0x0F in every byte.</summary>
        static abstract TVector NibbleMask { get; }

        static abstract TVector LowNibbles(TVector x, TVector mask);

        static abstract TVector HighNibbles(TVector x, TVector mask);

        /// <summary>c * x from the nibble tables of c and the nibbles of x (a lookup within each 128-bit lane).</summary>
        static abstract TVector Product(TVector low, TVector high, TVector lowNibbles, TVector highNibbles);

        static abstract TVector Xor(TVector a, TVector b);
    }

    /// <summary>32 bytes: AVX2 vpshufb looks up within each 128-bit lane, so both lanes carry the same table.</summary>
    private readonly struct Avx2Lanes : ILanes<Vector256<byte>>
    {
        public static nuint Width => 32;

        public static Vector256<byte> NibbleMask => Vector256.Create((byte)0x0F);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<byte> Table(byte c, int offset) =>
            Vector256.Create(Vector128.LoadUnsafe(ref GaloisField.NibbleTablesReference(c), (nuint)offset));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<byte> Load(ref byte source, nuint offset) => Vector256.LoadUnsafe(ref source, offset);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Store(Vector256<byte> value, ref byte destination, nuint offset) => value.StoreUnsafe(ref destination, offset);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<byte> LowNibbles(Vector256<byte> x, Vector256<byte> mask) => x & mask;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<byte> HighNibbles(Vector256<byte> x, Vector256<byte> mask) =>
            Vector256.ShiftRightLogical(x.AsUInt16(), 4).AsByte() & mask;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<byte> Product(Vector256<byte> low, Vector256<byte> high, Vector256<byte> lowNibbles, Vector256<byte> highNibbles) =>
            Avx2.Shuffle(low, lowNibbles) ^ Avx2.Shuffle(high, highNibbles);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<byte> Xor(Vector256<byte> a, Vector256<byte> b) => a ^ b;
    }

    /// <summary>16 bytes: Vector128.ShuffleNative is pshufb (SSSE3) or tbl (AdvSimd), exact for indices 0..15.</summary>
    private readonly struct NativeLanes : ILanes<Vector128<byte>>
    {
        public static nuint Width => 16;

        public static Vector128<byte> NibbleMask => Vector128.Create((byte)0x0F);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<byte> Table(byte c, int offset) =>
            Vector128.LoadUnsafe(ref GaloisField.NibbleTablesReference(c), (nuint)offset);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<byte> Load(ref byte source, nuint offset) => Vector128.LoadUnsafe(ref source, offset);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Store(Vector128<byte> value, ref byte destination, nuint offset) => value.StoreUnsafe(ref destination, offset);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<byte> LowNibbles(Vector128<byte> x, Vector128<byte> mask) => x & mask;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<byte> HighNibbles(Vector128<byte> x, Vector128<byte> mask) =>
            Vector128.ShiftRightLogical(x.AsUInt16(), 4).AsByte() & mask;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<byte> Product(Vector128<byte> low, Vector128<byte> high, Vector128<byte> lowNibbles, Vector128<byte> highNibbles) =>
            Vector128.ShuffleNative(low, lowNibbles) ^ Vector128.ShuffleNative(high, highNibbles);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<byte> Xor(Vector128<byte> a, Vector128<byte> b) => a ^ b;
    }
}
