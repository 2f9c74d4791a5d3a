using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Engines;
using Org.BouncyCastle.Crypto.Parameters;

namespace Kcptun.Crypto;

/// <summary>
/// A BouncyCastle engine in the encrypt direction. These engines keep only the key schedule, so after
/// <c>Init</c> a block encryption touches no shared mutable state.
/// </summary>
internal sealed class BouncyCastleBlock : BlockFunction
{
    private readonly IBlockCipher _engine;

    private BouncyCastleBlock(IBlockCipher engine, ReadOnlySpan<byte> key)
    {
        _engine = engine;
        _engine.Init(forEncryption: true, new KeyParameter(key));
    }

    public override int BlockSize => _engine.GetBlockSize();

    public static BouncyCastleBlock Blowfish(ReadOnlySpan<byte> key) => new(new BlowfishEngine(), key);

    public static BouncyCastleBlock Twofish(ReadOnlySpan<byte> key) => new(new TwofishEngine(), key);

    public static BouncyCastleBlock Cast5(ReadOnlySpan<byte> key) => new(new Cast5Engine(), key);

    /// <summary>Triple DES EDE, keying option 1 (K1, K2, K3 = the three 8-byte thirds of a 24-byte key).</summary>
    public static BouncyCastleBlock TripleDes(ReadOnlySpan<byte> key) => new(new DesEdeEngine(), key);

    public static BouncyCastleBlock Xtea(ReadOnlySpan<byte> key) => new(new XteaEngine(), key);

    public static BouncyCastleBlock Sm4(ReadOnlySpan<byte> key) => new(new SM4Engine(), key);

    public override void EncryptBlock(ReadOnlySpan<byte> input, Span<byte> output) => _engine.ProcessBlock(input, output);
}
