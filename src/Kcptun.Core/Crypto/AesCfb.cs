namespace Kcptun.Crypto;

/// <summary>Chooses the AES-CFB implementation for this machine: AES-NI when present, else the BCL per block.</summary>
internal static class AesCfb
{
    public static DatagramCipher Create(ReadOnlySpan<byte> key) =>
        AesNiCfbCipher.IsSupported ? new AesNiCfbCipher(key) : CreatePortable(key);

    public static DatagramCipher CreatePortable(ReadOnlySpan<byte> key) => new CfbCipher(new BclAesBlock(key));
}
