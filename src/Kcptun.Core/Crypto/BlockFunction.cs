namespace Kcptun.Crypto;

/// <summary>The forward (encrypt) direction of a block cipher: all that kcp-go's CFB mode needs.</summary>
internal abstract class BlockFunction
{
    /// <summary>Block size in bytes: 8 or 16.</summary>
    public abstract int BlockSize { get; }

    /// <summary>Encrypts one block; <paramref name="input"/> and <paramref name="output"/> do not overlap.</summary>
    public abstract void EncryptBlock(ReadOnlySpan<byte> input, Span<byte> output);

    /// <summary>
    /// Encrypts each block of <paramref name="input"/> on its own (ECB: no chaining between them) into the same place of
    /// <paramref name="output"/>; the spans do not overlap. The blocks are independent, so an override can run them
    /// interleaved and hide the cipher's latency (QPP's pad shuffle advances several chains at once); this default is
    /// one <see cref="EncryptBlock"/> after another.
    /// </summary>
    /// <exception cref="ArgumentException">The input is not whole blocks, or the output is shorter.</exception>
    public virtual void EncryptBlocks(ReadOnlySpan<byte> input, Span<byte> output)
    {
        int size = BlockSize;
        CheckBlocks(input, output, size);
        for (int offset = 0; offset < input.Length; offset += size)
        {
            EncryptBlock(input.Slice(offset, size), output.Slice(offset, size));
        }
    }

    /// <summary>The argument checks of <see cref="EncryptBlocks"/>.</summary>
    protected static void CheckBlocks(ReadOnlySpan<byte> input, Span<byte> output, int blockSize)
    {
        if (input.Length % blockSize != 0)
        {
            throw new ArgumentException($"The input is not a whole number of {blockSize}-byte blocks.", nameof(input));
        }

        if (output.Length < input.Length)
        {
            throw new ArgumentException("The output is shorter than the input.", nameof(output));
        }
    }
}
