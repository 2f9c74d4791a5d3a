namespace Kcptun.Crypto;

/// <summary>The <c>--crypt</c> tables of both generations (docs/protocol/crypto.md §3.1, generations.md §11.2) and how pass is cut for each.</summary>
internal static class CipherCatalog
{
    private static readonly string[] s_debian =
        ["aes", "aes-128", "aes-192", "salsa20", "blowfish", "twofish", "cast5", "3des", "tea", "xtea", "xor", "sm4", "none"];

    private static readonly string[] s_latest = [.. s_debian, "aes-128-gcm", "null"];

    public static IReadOnlyList<string> Names(WireGeneration generation) =>
        generation == WireGeneration.Latest ? s_latest : s_debian;

    public static bool IsKnown(string crypt, WireGeneration generation) =>
        Array.IndexOf(generation == WireGeneration.Latest ? s_latest : s_debian, crypt) >= 0;

    /// <summary>The name actually used: unknown names (and latest-only names on Debian) become <c>aes</c>.</summary>
    public static string Effective(string crypt, WireGeneration generation) => IsKnown(crypt, generation) ? crypt : "aes";

    /// <summary>How many leading bytes of pass the cipher is keyed with.</summary>
    public static int KeyLength(string name) => name switch
    {
        "aes-128" or "aes-128-gcm" or "cast5" or "tea" or "xtea" or "sm4" => 16,
        "aes-192" or "3des" => 24,
        _ => 32,
    };

    public static PacketProtection CreateProtection(string name, ReadOnlySpan<byte> pass, NonceGenerator nonces)
    {
        ReadOnlySpan<byte> key = pass[..KeyLength(name)];
        return name switch
        {
            "null" => new NullProtection(),
            "aes-128-gcm" => new AesGcmProtection(key, nonces),
            _ => new NonceCrcProtection(name, CreateCipher(name, key), CreateCipher(name, key), nonces),
        };
    }

    /// <summary>A fresh cipher instance for one of the nonce + CRC names, keyed with its slice of pass.</summary>
    public static DatagramCipher CreateCipher(string name, ReadOnlySpan<byte> key) => name switch
    {
        "aes" or "aes-128" or "aes-192" => AesCfb.Create(key),
        "salsa20" => new Salsa20Cipher(key),
        "blowfish" => new CfbCipher(BouncyCastleBlock.Blowfish(key)),
        "twofish" => new CfbCipher(BouncyCastleBlock.Twofish(key)),
        "cast5" => new CfbCipher(Cast5Block.Create(key)),
        "3des" => new CfbCipher(BouncyCastleBlock.TripleDes(key)),
        "tea" => new CfbCipher(new TeaBlock(key)),
        "xtea" => new CfbCipher(BouncyCastleBlock.Xtea(key)),
        "sm4" => new CfbCipher(BouncyCastleBlock.Sm4(key)),
        "xor" => new XorCipher(key),
        "none" => NoneCipher.Instance,
        _ => throw new ArgumentException($"--crypt {name} is not a nonce + CRC cipher.", nameof(name)),
    };
}
