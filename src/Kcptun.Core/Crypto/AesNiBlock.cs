using System.Runtime.Intrinsics;
using X86Aes = System.Runtime.Intrinsics.X86.Aes;

namespace Kcptun.Crypto;

/// <summary>Single-block AES encryption on AES-NI (QPP's pad shuffle); <see cref="Create"/> picks the portable path.</summary>
internal sealed class AesNiBlock : BlockFunction
{
    private readonly Vector128<byte>[] _roundKeys;

    private AesNiBlock(ReadOnlySpan<byte> key) => _roundKeys = AesNiCfbCipher.ExpandKey(key);

    public override int BlockSize => 16;

    /// <summary>AES-NI when available, else the BCL.</summary>
    public static BlockFunction Create(ReadOnlySpan<byte> key) =>
        AesNiCfbCipher.IsSupported ? new AesNiBlock(key) : new BclAesBlock(key);

    public override void EncryptBlock(ReadOnlySpan<byte> input, Span<byte> output)
    {
        Vector128<byte>[] keys = _roundKeys;
        Vector128<byte> block = Vector128.Create(input) ^ keys[0];
        for (int r = 1; r < keys.Length - 1; r++)
        {
            block = X86Aes.Encrypt(block, keys[r]);
        }

        X86Aes.EncryptLast(block, keys[^1]).CopyTo(output);
    }
}
