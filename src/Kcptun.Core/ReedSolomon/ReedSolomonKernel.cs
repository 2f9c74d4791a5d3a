namespace Kcptun.ReedSolomon;

/// <summary>
/// The multiply(-and-XOR) kernel a <see cref="ReedSolomonCodec"/> uses. A wider kernel processes what it can and
/// falls through to the narrower ones for the tail, so every kernel gives the same bytes as <see cref="Scalar"/>.
/// </summary>
public enum ReedSolomonKernel
{
    /// <summary>One byte at a time through a 256 x 256 product table: the reference (oracle) kernel.</summary>
    Scalar = 0,

    /// <summary>16 bytes at a time: nibble-table shuffles (SSSE3 pshufb, AdvSimd tbl) then XOR.</summary>
    Vector128 = 1,

    /// <summary>32 bytes at a time: AVX2 vpshufb nibble-table shuffles then XOR.</summary>
    Vector256 = 2,
}
