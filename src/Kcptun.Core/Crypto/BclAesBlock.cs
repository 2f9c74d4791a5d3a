using System.Security.Cryptography;

namespace Kcptun.Crypto;

/// <summary>
/// AES through the BCL (OpenSSL on Linux): the portable path when AES-NI is not available. One reusable ECB
/// transform with two 16-byte scratch arrays, because the one-shot <c>EncryptEcb</c> creates a native context per
/// call (an allocation per block). Not thread-safe: one instance per direction, as every cipher here.
/// </summary>
internal sealed class BclAesBlock : BlockFunction, IDisposable
{
    private readonly Aes _aes;
    private readonly ICryptoTransform _encryptor;
    private readonly byte[] _input = new byte[16];
    private readonly byte[] _output = new byte[16];

    public BclAesBlock(ReadOnlySpan<byte> key)
    {
        _aes = Aes.Create();
        _aes.Key = key.ToArray();
        _aes.Mode = CipherMode.ECB;
        _aes.Padding = PaddingMode.None;
        _encryptor = _aes.CreateEncryptor();
    }

    public override int BlockSize => 16;

    public override void EncryptBlock(ReadOnlySpan<byte> input, Span<byte> output)
    {
        input.CopyTo(_input);
        _encryptor.TransformBlock(_input, 0, 16, _output, 0);
        _output.CopyTo(output);
    }

    public void Dispose()
    {
        _encryptor.Dispose();
        _aes.Dispose();
    }
}
