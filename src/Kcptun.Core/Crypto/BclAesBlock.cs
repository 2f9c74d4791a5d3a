using System.Diagnostics;
using System.Security.Cryptography;

namespace Kcptun.Crypto;

/// <summary>
/// AES through the BCL (OpenSSL on Linux): the portable path when AES-NI is not available. One reusable ECB
/// transform with scratch arrays, because the one-shot <c>EncryptEcb</c> creates a native context per call (an
/// allocation per block). Not thread-safe: one instance per direction, as every cipher here.
/// </summary>
internal sealed class BclAesBlock : BlockFunction, IDisposable
{
    private readonly Aes _aes;
    private readonly ICryptoTransform _encryptor;
    private readonly byte[] _input = new byte[16];
    private readonly byte[] _output = new byte[16];

    // EncryptBlocks' scratch (TransformBlock takes arrays): grown to the longest input seen, never shrunk.
    private byte[] _blocksInput = [];
    private byte[] _blocksOutput = [];

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

    /// <summary>All the blocks in one ECB <c>TransformBlock</c>: one native call instead of one a block.</summary>
    public override void EncryptBlocks(ReadOnlySpan<byte> input, Span<byte> output)
    {
        CheckBlocks(input, output, 16);
        if (input.IsEmpty)
        {
            return;
        }

        if (_blocksInput.Length < input.Length)
        {
            _blocksInput = new byte[input.Length];
            _blocksOutput = new byte[input.Length];
        }

        input.CopyTo(_blocksInput);
        int written = _encryptor.TransformBlock(_blocksInput, 0, input.Length, _blocksOutput, 0);
        Debug.Assert(written == input.Length, "ECB without padding encrypts every whole block at once");
        _blocksOutput.AsSpan(0, input.Length).CopyTo(output);
    }

    public void Dispose()
    {
        _encryptor.Dispose();
        _aes.Dispose();
    }
}
