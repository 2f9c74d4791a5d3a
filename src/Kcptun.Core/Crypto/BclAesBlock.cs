using System.Security.Cryptography;

namespace Kcptun.Crypto;

/// <summary>AES through the BCL (OpenSSL on Linux): the portable path when AES-NI is not available.</summary>
internal sealed class BclAesBlock : BlockFunction, IDisposable
{
    private readonly Aes _aes;

    public BclAesBlock(ReadOnlySpan<byte> key)
    {
        _aes = Aes.Create();
        _aes.Key = key.ToArray();
    }

    public override int BlockSize => 16;

    public override void EncryptBlock(ReadOnlySpan<byte> input, Span<byte> output) =>
        _aes.EncryptEcb(input, output, PaddingMode.None);

    public void Dispose() => _aes.Dispose();
}
