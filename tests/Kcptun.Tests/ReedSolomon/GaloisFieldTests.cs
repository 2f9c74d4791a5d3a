using Kcptun.ReedSolomon;

namespace Kcptun.Tests.ReedSolomon;

public class GaloisFieldTests
{
    [Fact]
    public void Powers_of_two_follow_polynomial_0x11D()
    {
        byte[] expected = [0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0x1d, 0x3a, 0x74];
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], GaloisField.Power(2, i));
        }
    }

    [Fact]
    public void Multiply_matches_carryless_product_reduced_by_0x11D()
    {
        for (int a = 0; a < 256; a++)
        {
            for (int b = 0; b < 256; b++)
            {
                Assert.Equal(SlowMultiply(a, b), GaloisField.Multiply((byte)a, (byte)b));
            }
        }
    }

    [Fact]
    public void Every_nonzero_element_has_an_inverse_and_division_undoes_multiplication()
    {
        for (int a = 1; a < 256; a++)
        {
            Assert.Equal(1, GaloisField.Multiply((byte)a, GaloisField.Inverse((byte)a)));
            for (int b = 1; b < 256; b += 7)
            {
                Assert.Equal((byte)b, GaloisField.Divide(GaloisField.Multiply((byte)a, (byte)b), (byte)a));
            }
        }

        Assert.Throws<DivideByZeroException>(() => GaloisField.Divide(3, 0));
    }

    [Fact]
    public void Power_convention_zero_to_the_zero_is_one()
    {
        Assert.Equal(1, GaloisField.Power(0, 0));
        Assert.Equal(0, GaloisField.Power(0, 5));
        Assert.Equal(GaloisField.Multiply(7, GaloisField.Multiply(7, 7)), GaloisField.Power(7, 3));
    }

    [Fact]
    public void Nibble_tables_split_every_product()
    {
        for (int c = 0; c < 256; c++)
        {
            ReadOnlySpan<byte> tables = GaloisField.NibbleTables((byte)c);
            for (int x = 0; x < 256; x++)
            {
                Assert.Equal(GaloisField.Multiply((byte)c, (byte)x), (byte)(tables[x & 15] ^ tables[16 + (x >> 4)]));
            }
        }
    }

    private static byte SlowMultiply(int a, int b)
    {
        int product = 0;
        for (int i = 0; i < 8; i++)
        {
            if ((b & (1 << i)) != 0)
            {
                product ^= a << i;
            }
        }

        for (int bit = 14; bit >= 8; bit--)
        {
            if ((product & (1 << bit)) != 0)
            {
                product ^= GaloisField.Polynomial << (bit - 8);
            }
        }

        return (byte)product;
    }
}
