using System.Security.Cryptography;

namespace Kcptun.Crypto;

/// <summary>
/// <c>xor</c> (docs/protocol/crypto.md §3.4): every datagram XORed with the same 1500-byte table
/// PBKDF2-HMAC-SHA1(pass, "sH3CIVoF#rWLtJo6", 32, 1500). Bytes past 1500 are left as they are.
/// </summary>
internal sealed class XorCipher : DatagramCipher
{
    public const int TableSize = 1500;

    private readonly byte[] _table;

    public XorCipher(ReadOnlySpan<byte> key) =>
        _table = Rfc2898DeriveBytes.Pbkdf2(key, "sH3CIVoF#rWLtJo6"u8, 32, HashAlgorithmName.SHA1, TableSize);

    internal ReadOnlySpan<byte> Table => _table;

    public override void Encrypt(Span<byte> data) => Apply(data);

    public override void Decrypt(Span<byte> data) => Apply(data);

    private void Apply(Span<byte> data)
    {
        XorBytes.Apply(data[..Math.Min(data.Length, TableSize)], _table);
    }
}
