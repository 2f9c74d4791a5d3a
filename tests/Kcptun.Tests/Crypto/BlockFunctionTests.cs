using System.Security.Cryptography;
using Kcptun.Crypto;

namespace Kcptun.Tests.Crypto;

/// <summary>BlockFunction.EncryptBlocks: ECB of independent blocks, overridden by AES-NI to run them interleaved.</summary>
public class BlockFunctionTests
{
    [Theory]
    [InlineData(16)]
    [InlineData(24)]
    [InlineData(32)]
    public void EncryptBlocks_is_ecb_for_every_block_count(int keySize)
    {
        var random = new Random(keySize);
        var key = new byte[keySize];
        random.NextBytes(key);
        using var reference = Aes.Create();
        reference.Key = key;
        using var bcl = new BclAesBlock(key);
        BlockFunction[] blocks = [AesNiBlock.Create(key), bcl];
        for (int count = 0; count <= 19; count++)
        {
            var input = new byte[count * 16];
            random.NextBytes(input);
            var expected = reference.EncryptEcb(input, PaddingMode.None);
            foreach (var block in blocks)
            {
                var output = new byte[input.Length + 16]; // longer than needed: the rest is left alone
                block.EncryptBlocks(input, output);
                Assert.Equal(expected, output[..input.Length]);
                Assert.Equal(new byte[16], output[input.Length..]);

                var single = new byte[16];
                for (int b = 0; b < count; b++)
                {
                    block.EncryptBlock(input.AsSpan(b * 16, 16), single);
                    Assert.Equal(expected[(b * 16)..((b + 1) * 16)], single);
                }
            }
        }
    }

    [Fact]
    public void EncryptBlocks_refuses_partial_blocks_and_short_outputs()
    {
        var block = AesNiBlock.Create(new byte[32]);
        Assert.Throws<ArgumentException>(() => block.EncryptBlocks(new byte[17], new byte[32]));
        Assert.Throws<ArgumentException>(() => block.EncryptBlocks(new byte[32], new byte[16]));
        var tea = new TeaBlock(new byte[16]);
        Assert.Throws<ArgumentException>(() => tea.EncryptBlocks(new byte[12], new byte[16]));
    }
}
