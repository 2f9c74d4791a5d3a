namespace Kcptun.Crypto;

/// <summary>Chooses the AES-CFB implementation for this machine.</summary>
internal static class AesCfb
{
    public static DatagramCipher Create(ReadOnlySpan<byte> key) => new CfbCipher(new BclAesBlock(key));
}
