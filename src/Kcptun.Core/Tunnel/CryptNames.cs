namespace Kcptun.Tunnel;

/// <summary>
/// The <c>--crypt</c> values this build accepts: Debian's list plus the latest upstream additions
/// (<c>aes-128-gcm</c>, and <c>null</c> meaning no encryption and no header, as in latest). The Go programs fall back
/// to AES-256 for an unknown name; we refuse it instead, since a typo would otherwise silently change the wire format.
/// </summary>
public static class CryptNames
{
    /// <summary>Every accepted name, in help order.</summary>
    public static IReadOnlyList<string> All { get; } =
    [
        "aes", "aes-128", "aes-128-gcm", "aes-192", "salsa20", "blowfish", "twofish", "cast5", "3des", "tea", "xtea",
        "xor", "sm4", "none", "null",
    ];

    /// <summary>Whether <paramref name="name"/> is a known cipher name (exact, case-sensitive).</summary>
    public static bool IsKnown(string name) => All.Contains(name, StringComparer.Ordinal);

    /// <summary>
    /// Bytes the packet protection adds (header, trailer) for a cipher name: 12 + 16 for aes-128-gcm, nothing for
    /// null, 16 nonce + 4 CRC for the rest (PROTOCOL.md section 4).
    /// </summary>
    public static (int Header, int Trailer) Overhead(string name) => name switch
    {
        "aes-128-gcm" => (12, 16),
        "null" => (0, 0),
        _ => (20, 0),
    };
}
