namespace Kcptun.Crypto;

/// <summary>The forward (encrypt) direction of a block cipher: all that kcp-go's CFB mode needs.</summary>
internal abstract class BlockFunction
{
    /// <summary>Block size in bytes: 8 or 16.</summary>
    public abstract int BlockSize { get; }

    /// <summary>Encrypts one block; <paramref name="input"/> and <paramref name="output"/> do not overlap.</summary>
    public abstract void EncryptBlock(ReadOnlySpan<byte> input, Span<byte> output);
}
