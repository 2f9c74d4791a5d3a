namespace Kcptun.ReedSolomon;

/// <summary>Dense row-major matrices over GF(2^8): just what building and inverting kcp-go's code needs.</summary>
internal static class GaloisMatrix
{
    /// <summary>
    /// kcp-go's (klauspost/reedsolomon default) encoding matrix, (dataShards + parityShards) x dataShards:
    /// V x inverse(top square of V) with the Vandermonde matrix V[r][c] = r^c. Its top rows are the identity.
    /// </summary>
    public static byte[] BuildEncodingMatrix(int dataShards, int parityShards)
    {
        int rows = dataShards + parityShards;
        var vandermonde = new byte[rows * dataShards];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < dataShards; c++)
            {
                vandermonde[(r * dataShards) + c] = GaloisField.Power((byte)r, c);
            }
        }

        byte[] top = vandermonde.AsSpan(0, dataShards * dataShards).ToArray();
        if (!TryInvert(top, dataShards))
        {
            throw new InvalidOperationException("The top square of the Vandermonde matrix is singular.");
        }

        return Multiply(vandermonde, rows, dataShards, top, dataShards);
    }

    /// <summary>left (rows x inner) times right (inner x columns).</summary>
    public static byte[] Multiply(ReadOnlySpan<byte> left, int rows, int inner, ReadOnlySpan<byte> right, int columns)
    {
        var result = new byte[rows * columns];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
            {
                byte sum = 0;
                for (int k = 0; k < inner; k++)
                {
                    sum ^= GaloisField.Multiply(left[(r * inner) + k], right[(k * columns) + c]);
                }

                result[(r * columns) + c] = sum;
            }
        }

        return result;
    }

    /// <summary>Inverts the size x size matrix in place by Gauss-Jordan elimination; false when it is singular.</summary>
    public static bool TryInvert(Span<byte> matrix, int size)
    {
        // Work on [matrix | identity]; the right half ends up as the inverse.
        int width = size * 2;
        var work = new byte[size * width];
        for (int r = 0; r < size; r++)
        {
            matrix.Slice(r * size, size).CopyTo(work.AsSpan(r * width, size));
            work[(r * width) + size + r] = 1;
        }

        for (int column = 0; column < size; column++)
        {
            if (work[(column * width) + column] == 0)
            {
                int pivot = column + 1;
                while (pivot < size && work[(pivot * width) + column] == 0)
                {
                    pivot++;
                }

                if (pivot == size)
                {
                    return false;
                }

                SwapRows(work, width, column, pivot);
            }

            byte scale = GaloisField.Inverse(work[(column * width) + column]);
            if (scale != 1)
            {
                for (int c = 0; c < width; c++)
                {
                    work[(column * width) + c] = GaloisField.Multiply(work[(column * width) + c], scale);
                }
            }

            for (int r = 0; r < size; r++)
            {
                byte factor = work[(r * width) + column];
                if (r == column || factor == 0)
                {
                    continue;
                }

                for (int c = 0; c < width; c++)
                {
                    work[(r * width) + c] ^= GaloisField.Multiply(factor, work[(column * width) + c]);
                }
            }
        }

        for (int r = 0; r < size; r++)
        {
            work.AsSpan((r * width) + size, size).CopyTo(matrix.Slice(r * size, size));
        }

        return true;
    }

    private static void SwapRows(byte[] work, int width, int a, int b)
    {
        for (int c = 0; c < width; c++)
        {
            (work[(a * width) + c], work[(b * width) + c]) = (work[(b * width) + c], work[(a * width) + c]);
        }
    }
}
