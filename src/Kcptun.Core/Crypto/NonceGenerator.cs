using System.Security.Cryptography;

namespace Kcptun.Crypto;

/// <summary>Fills the per-datagram nonce field. Used by the sealing side only (one thread at a time).</summary>
internal abstract class NonceGenerator
{
    public abstract void Fill(Span<byte> nonce);
}

/// <summary>
/// Nonces cut from a buffer of OS CSPRNG output, refilled when used up: one system call per 256 datagrams instead of
/// one each (docs/protocol/crypto.md §4.6 accepts any cryptographically random bytes). Bytes are never handed out twice.
/// </summary>
internal sealed class RandomNonceGenerator : NonceGenerator
{
    private readonly byte[] _pool = new byte[4096];
    private int _position;

    public RandomNonceGenerator() => _position = _pool.Length;

    public override void Fill(Span<byte> nonce)
    {
        if (_position + nonce.Length > _pool.Length)
        {
            RandomNumberGenerator.Fill(_pool);
            _position = 0;
        }

        _pool.AsSpan(_position, nonce.Length).CopyTo(nonce);
        _position += nonce.Length;
    }
}

/// <summary>Test seam: always the same nonce (vectors use 00 01 02 ...).</summary>
internal sealed class FixedNonceGenerator : NonceGenerator
{
    private readonly byte[] _nonce;

    public FixedNonceGenerator(ReadOnlySpan<byte> nonce) => _nonce = nonce.ToArray();

    public override void Fill(Span<byte> nonce) => _nonce.AsSpan(0, nonce.Length).CopyTo(nonce);
}
