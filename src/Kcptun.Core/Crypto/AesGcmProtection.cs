using System.Security.Cryptography;

namespace Kcptun.Crypto;

/// <summary>
/// Latest <c>aes-128-gcm</c> (docs/protocol/crypto.md §3.6): 12-byte random nonce in clear, AES-128-GCM of the payload with no
/// additional data, 16-byte tag appended. There is no CRC; a bad tag means drop.
/// </summary>
internal sealed class AesGcmProtection : PacketProtection, IDisposable
{
    public const int NonceSize = 12;
    public const int TagSize = 16;

    // AesGcm is not documented as thread-safe: one instance per direction.
    private readonly AesGcm _seal;
    private readonly AesGcm _open;
    private readonly NonceGenerator _nonces;

    public AesGcmProtection(ReadOnlySpan<byte> key, NonceGenerator nonces)
    {
        _seal = new AesGcm(key, TagSize);
        _open = new AesGcm(key, TagSize);
        _nonces = nonces;
    }

    public override int HeaderSize => NonceSize;

    public override int TrailerSize => TagSize;

    public override string Name => "aes-128-gcm";

    public override int Seal(Span<byte> buffer, int length)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(length, NonceSize);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length + TagSize, buffer.Length);
        Span<byte> nonce = buffer[..NonceSize];
        _nonces.Fill(nonce);
        Span<byte> text = buffer[NonceSize..length];
        _seal.Encrypt(nonce, text, text, buffer.Slice(length, TagSize));
        return length + TagSize;
    }

    public override bool TryOpen(Span<byte> datagram, out Range payload)
    {
        payload = default;
        if (datagram.Length < NonceSize + TagSize)
        {
            return false;
        }

        int end = datagram.Length - TagSize;
        Span<byte> text = datagram[NonceSize..end];
        try
        {
            _open.Decrypt(datagram[..NonceSize], text, datagram[end..], text);
        }
        catch (CryptographicException)
        {
            return false; // AuthenticationTagMismatchException derives from it.
        }

        payload = new Range(NonceSize, end);
        return true;
    }

    public void Dispose()
    {
        _seal.Dispose();
        _open.Dispose();
    }
}
