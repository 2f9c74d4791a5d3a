namespace Kcptun.ReedSolomon;

/// <summary>
/// Arithmetic in GF(2^8) with the reducing polynomial x^8 + x^4 + x^3 + x^2 + 1 (0x11D) and generator 2, the field of
/// klauspost/reedsolomon and therefore of kcp-go's FEC (docs/protocol/fec.md §5.3). Addition is XOR.
/// </summary>
/// <remarks>
/// Not the AES field (0x11B): <c>Gfni.GaloisFieldMultiply</c> computes products in 0x11B and must not be used here.
/// </remarks>
public static class GaloisField
{
    /// <summary>The reducing polynomial, including the x^8 term.</summary>
    public const int Polynomial = 0x11D;

    // exp[i] = 2^i for i in [0, 510): doubled so that exp[log a + log b] needs no modulo.
    private static readonly byte[] s_exp = BuildExp();
    private static readonly byte[] s_log = BuildLog(s_exp);

    // 256 x 256 products: row c holds c * x for every x (the scalar kernel's table).
    private static readonly byte[] s_mul = BuildMulTable();

    // For every c, 32 bytes: c * i and c * (i << 4) for i in [0, 16) (the SIMD kernels' nibble tables).
    private static readonly byte[] s_nibble = BuildNibbleTables();

    /// <summary>The product of two field elements.</summary>
    public static byte Multiply(byte a, byte b) => s_mul[(a << 8) | b];

    /// <summary>The quotient a / b; b must not be 0.</summary>
    public static byte Divide(byte a, byte b)
    {
        if (b == 0)
        {
            throw new DivideByZeroException("Division by zero in GF(2^8).");
        }

        if (a == 0)
        {
            return 0;
        }

        int difference = s_log[a] - s_log[b];
        return s_exp[difference < 0 ? difference + 255 : difference];
    }

    /// <summary>The multiplicative inverse; a must not be 0.</summary>
    public static byte Inverse(byte a) => Divide(1, a);

    /// <summary>a raised to n, with a^0 = 1 for every a (including 0) and 0^n = 0 for n &gt; 0.</summary>
    public static byte Power(byte a, int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        if (n == 0)
        {
            return 1;
        }

        if (a == 0)
        {
            return 0;
        }

        return s_exp[s_log[a] * n % 255];
    }

    /// <summary>The 256 products c * x for x = 0..255.</summary>
    internal static ReadOnlySpan<byte> MultiplicationRow(byte c) => new(s_mul, c << 8, 256);

    /// <summary>c * i (16 bytes) then c * (i &lt;&lt; 4) (16 bytes) for i = 0..15.</summary>
    internal static ReadOnlySpan<byte> NibbleTables(byte c) => new(s_nibble, c << 5, 32);

    internal static ref byte NibbleTablesReference(byte c) => ref s_nibble[c << 5];

    private static byte[] BuildExp()
    {
        var exp = new byte[510];
        int x = 1;
        for (int i = 0; i < 255; i++)
        {
            exp[i] = (byte)x;
            exp[i + 255] = (byte)x;
            x <<= 1;
            if (x >= 0x100)
            {
                x ^= Polynomial;
            }
        }

        return exp;
    }

    private static byte[] BuildLog(byte[] exp)
    {
        var log = new byte[256];
        for (int i = 0; i < 255; i++)
        {
            log[exp[i]] = (byte)i;
        }

        return log;
    }

    private static byte[] BuildMulTable()
    {
        var table = new byte[256 * 256];
        for (int a = 1; a < 256; a++)
        {
            for (int b = 1; b < 256; b++)
            {
                table[(a << 8) | b] = s_exp[s_log[a] + s_log[b]];
            }
        }

        return table;
    }

    private static byte[] BuildNibbleTables()
    {
        var table = new byte[256 * 32];
        for (int c = 0; c < 256; c++)
        {
            for (int i = 0; i < 16; i++)
            {
                table[(c << 5) + i] = s_mul[(c << 8) | i];
                table[(c << 5) + 16 + i] = s_mul[(c << 8) | (i << 4)];
            }
        }

        return table;
    }
}
