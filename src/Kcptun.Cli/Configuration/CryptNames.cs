using Kcptun.Crypto;

namespace Kcptun.Cli.Configuration;

/// <summary>
/// The <c>--crypt</c> values this build accepts: latest upstream's table (Debian's list plus <c>aes-128-gcm</c>, and
/// <c>null</c> meaning no encryption and no header). The Go programs fall back to AES-256 for an unknown name; we refuse
/// it instead, since a typo would otherwise silently change the wire format.
/// </summary>
public static class CryptNames
{
    /// <summary>The cipher table the programs use (latest's is a superset of Debian's, same wire format for shared names).</summary>
    public const WireGeneration Generation = WireGeneration.Latest;

    /// <summary>Every accepted name.</summary>
    public static IReadOnlyList<string> All => PacketProtection.Names(Generation);

    /// <summary>Whether <paramref name="name"/> is a known cipher name (exact, case-sensitive).</summary>
    public static bool IsKnown(string name) => PacketProtection.IsKnown(name, Generation);

    /// <summary>Bytes the packet protection adds before and after the payload (docs/protocol/crypto.md §4).</summary>
    public static (int Header, int Trailer) Overhead(string name)
    {
        Span<byte> anyKey = stackalloc byte[PacketProtection.DerivedKeySize];
        var protection = PacketProtection.Create(name, anyKey, Generation);
        return (protection.HeaderSize, protection.TrailerSize);
    }
}
