namespace Kcptun.Crypto;

/// <summary><c>none</c>: the identity. The nonce and CRC header are still written and checked (docs/protocol/crypto.md §3.5).</summary>
internal sealed class NoneCipher : DatagramCipher
{
    public static readonly NoneCipher Instance = new();

    public override void Encrypt(Span<byte> data)
    {
    }

    public override void Decrypt(Span<byte> data)
    {
    }
}
