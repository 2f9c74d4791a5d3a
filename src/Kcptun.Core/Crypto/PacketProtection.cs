using System.Security.Cryptography;
using System.Text;

namespace Kcptun.Crypto;

/// <summary>
/// The per-datagram protection stage (docs/protocol/crypto.md §3 and 4): nonce + CRC32 + cipher for every CFB cipher,
/// salsa20, xor and <c>none</c>; nonce + AES-GCM for latest <c>aes-128-gcm</c>; nothing for latest <c>null</c>.
/// </summary>
/// <remarks>
/// Thread safety: <see cref="Seal"/> and <see cref="TryOpen"/> may run at the same time on one instance (one thread
/// each); two concurrent calls of the same method may not.
/// </remarks>
public abstract class PacketProtection
{
    /// <summary>Length of the PBKDF2 output ("pass") every cipher is keyed from.</summary>
    public const int DerivedKeySize = 32;

    private static readonly byte[] s_salt = "kcp-go"u8.ToArray();

    /// <summary>Bytes before the payload: 20 (nonce + CRC), 12 (GCM nonce) or 0 (<c>null</c>).</summary>
    public abstract int HeaderSize { get; }

    /// <summary>Bytes after the payload: 16 (GCM tag) or 0.</summary>
    public abstract int TrailerSize { get; }

    /// <summary>The effective <c>--crypt</c> name after the fallback (an unknown name gives <c>aes</c>).</summary>
    public abstract string Name { get; }

    /// <summary>
    /// <paramref name="buffer"/>[..<paramref name="length"/>] holds <see cref="HeaderSize"/> free bytes then the
    /// payload; writes nonce/CRC, encrypts in place and appends the trailer (the buffer must have
    /// <see cref="TrailerSize"/> spare bytes after <paramref name="length"/>).
    /// </summary>
    /// <returns>The wire length of the datagram.</returns>
    public abstract int Seal(Span<byte> buffer, int length);

    /// <summary>
    /// Seals a batch of datagrams laid out in one slab: datagram <c>i</c> starts at
    /// <c>slab[(i * slotSize)..]</c>; <paramref name="lengths"/>[i] is the length passed to <see cref="Seal"/>
    /// (<see cref="HeaderSize"/> free bytes + payload) and, on return, the wire length. Same effect as calling
    /// <see cref="Seal"/> on each datagram in order; the AES-CFB protections override it to advance several
    /// datagrams' serial CFB chains together. Each slot needs room for <see cref="TrailerSize"/> extra bytes.
    /// </summary>
    /// <param name="slab">The datagrams, one per slot.</param>
    /// <param name="slotSize">Distance in bytes between the starts of consecutive datagrams.</param>
    /// <param name="lengths">One entry per datagram: in, the length to seal; out, the wire length.</param>
    public virtual void SealMany(Span<byte> slab, int slotSize, Span<int> lengths)
    {
        ValidateBatch(slab, slotSize, lengths);
        for (int i = 0; i < lengths.Length; i++)
        {
            int start = i * slotSize;
            lengths[i] = Seal(slab.Slice(start, Math.Min(slotSize, slab.Length - start)), lengths[i]);
        }
    }

    /// <summary>
    /// Throws unless every datagram plus its trailer fits in its slot and in the slab (the last slot may be cut short
    /// by the end of the slab as long as its datagram fits).
    /// </summary>
    private protected void ValidateBatch(ReadOnlySpan<byte> slab, int slotSize, ReadOnlySpan<int> lengths)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(slotSize);
        for (int i = 0; i < lengths.Length; i++)
        {
            long end = ((long)i * slotSize) + lengths[i] + TrailerSize;
            if (lengths[i] < HeaderSize || lengths[i] + TrailerSize > slotSize || end > slab.Length)
            {
                throw new ArgumentOutOfRangeException(nameof(lengths), $"lengths[{i}] = {lengths[i]} does not fit a slot of {slotSize} bytes.");
            }
        }
    }

    /// <summary>
    /// Decrypts and verifies <paramref name="datagram"/> in place. Returns false for anything that fails (too short,
    /// bad CRC, bad tag); never throws. On success <paramref name="payload"/> is the plaintext's range in
    /// <paramref name="datagram"/>.
    /// </summary>
    public abstract bool TryOpen(Span<byte> datagram, out Range payload);

    /// <summary>Derives the key material: PBKDF2-HMAC-SHA1(UTF-8 key, "kcp-go", 4096 iterations, 32 bytes).</summary>
    public static byte[] DeriveKey(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(key), s_salt, 4096, HashAlgorithmName.SHA1, DerivedKeySize);
    }

    /// <summary>Creates the protection for a <c>--crypt</c> value and a <c>--key</c> string (derives the key).</summary>
    public static PacketProtection Create(string crypt, string key, WireGeneration generation) =>
        Create(crypt, DeriveKey(key), generation);

    /// <summary>
    /// Creates the protection for a <c>--crypt</c> value from the 32-byte derived key. Names the generation does not
    /// know fall back to AES-256 like Go does; check <see cref="IsKnown"/> first to refuse them instead.
    /// </summary>
    public static PacketProtection Create(string crypt, ReadOnlySpan<byte> derivedKey, WireGeneration generation) =>
        Create(crypt, derivedKey, generation, nonces: null);

    /// <summary>True when <paramref name="crypt"/> is in the generation's table (exact, case-sensitive match).</summary>
    public static bool IsKnown(string crypt, WireGeneration generation) => CipherCatalog.IsKnown(crypt, generation);

    /// <summary>Every <c>--crypt</c> name the generation knows, in the order of its table.</summary>
    public static IReadOnlyList<string> Names(WireGeneration generation) => CipherCatalog.Names(generation);

    /// <summary>As the public overload, with an injectable nonce source (tests use a fixed nonce).</summary>
    internal static PacketProtection Create(string crypt, ReadOnlySpan<byte> derivedKey, WireGeneration generation, NonceGenerator? nonces)
    {
        ArgumentNullException.ThrowIfNull(crypt);
        if (derivedKey.Length != DerivedKeySize)
        {
            throw new ArgumentException($"The derived key must be {DerivedKeySize} bytes.", nameof(derivedKey));
        }

        return CipherCatalog.CreateProtection(CipherCatalog.Effective(crypt, generation), derivedKey, nonces ?? new RandomNonceGenerator());
    }
}
