using System.Numerics;
using System.Security.Cryptography;
using System.Text;
using Kcptun.Crypto;
using Kcptun.Tests.Support;

namespace Kcptun.Tests.Crypto;

/// <summary>
/// The pad builder beyond latest_qpp.json's three pads of 61: every pad of larger counts, against a plain model of
/// xtaci/qpp's shuffle and against digests pinned from the first, one-pad-at-a-time builder (so interleaving or
/// parallelising the build cannot change a byte).
/// </summary>
public class QppPadBuildTests
{
    private const string LongKey = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJ"; // 46 bytes: used directly, not stretched

    // SHA-256 of Pads then ReversePads.
    [Theory]
    [InlineData("testkey", 1, "5ede69fd5ceaefba5438a20444437dac420eb6b317e0b8e23ae4ac4e2531e977")]
    [InlineData("testkey", 2, "9537a95e0e8ded07222239b4911e79656271c54bde61200b768a4617547a33f6")]
    [InlineData("testkey", 3, "7b247abbe4753d85c6d6d487db0f612e8b5a3a68cd0782fcaba7395261ac720c")]
    [InlineData("testkey", 5, "c5be0b5ebf504c2f91d9bd06ba627c5ae6ead00fa66adf78c4a6d9dc17460dbe")]
    [InlineData("testkey", 61, "cf91f4a86efaa6243290f53af88e95a3bf958973aed00afbd137e67013172edf")]
    [InlineData("testkey", 255, "05f0a9f748d7078e4c3411803d2363b23bd5107659208b019a886d41efcde137")]
    [InlineData("testkey", 256, "9a66a5d65700317cf155f44c7bf2a8653b6951f4b0219c2c284d34d85d56c150")]
    [InlineData("testkey", 257, "e4602ca475e9eec1e89358383bdbaa4b04101c9977c76ae4f0a2305a4c1421b5")]
    [InlineData("testkey", 1031, "951c0942a0415b54afd032d609a618010adaf69504c8a8d9c090c76c2d91eb5f")]
    [InlineData(LongKey, 7, "2557c495e99f9998e2163f372ed3c134eaeb4df6d4e68165a1dfc61bc89371e2")]
    [InlineData(LongKey, 301, "029b6aca5d3f5d43156615d70a7b2ca4f18e66043a8f1e8cac447d80d887be46")]
    public void Pads_match_the_pinned_digest(string key, int count, string digest)
    {
        var pads = QuantumPermutationPad.Create(key, count);

        Assert.Equal(digest, Vectors.Hex(SHA256.HashData([.. pads.Pads, .. pads.ReversePads])));
    }

    [Theory]
    [InlineData("testkey", 61)]
    [InlineData(LongKey, 301)]
    public void Every_pad_matches_a_plain_model_of_the_shuffle(string key, int count)
    {
        var pads = QuantumPermutationPad.Create(key, count);

        var expected = ModelPads(pads.SeedChunks, count);

        for (int p = 0; p < count; p++)
        {
            Assert.True(expected.AsSpan(p * 256, 256).SequenceEqual(pads.Pads.Slice(p * 256, 256)), $"pad {p} of {count}");
        }
    }

    [Fact]
    public void The_shuffle_modulo_equals_big_integer_modulo_for_every_divisor()
    {
        var random = new Random(256);
        var values = new List<byte[]> { new byte[32], Enumerable.Repeat((byte)0xFF, 32).ToArray() };
        for (int i = 0; i < 200; i++)
        {
            var value = new byte[32];
            random.NextBytes(value);
            values.Add(value);
        }

        foreach (var value in values)
        {
            var big = new BigInteger(value, isUnsigned: true, isBigEndian: true);
            for (int divisor = 1; divisor <= 256; divisor++)
            {
                Assert.Equal((int)(big % divisor), QuantumPermutationPad.BigEndianModulo(value, divisor));
            }
        }
    }

    /// <summary>xtaci/qpp's pad generation, written out as plainly as possible (the BCL's AES, BigInteger).</summary>
    private static byte[] ModelPads(byte[] chunks, int count)
    {
        var salt = "___QUANTUM_PERMUTATION_PAD_SHUFFLE_SALT___"u8.ToArray();
        var aes = new Aes[7];
        for (int k = 0; k < 7; k++)
        {
            aes[k] = Aes.Create();
            aes[k].Key = Rfc2898DeriveBytes.Pbkdf2(chunks.AsSpan(k * 32, 32), salt, 128, HashAlgorithmName.SHA1, 32);
        }

        var result = new byte[count * 256];
        for (int p = 0; p < count; p++)
        {
            var pad = result.AsSpan(p * 256, 256);
            for (int x = 0; x < 256; x++)
            {
                pad[x] = (byte)x;
            }

            var h = HMACSHA256.HashData(chunks.AsSpan((p % 7) * 32, 32), Encoding.ASCII.GetBytes("QPP_" + Convert.ToString(p, 2)));
            for (int i = 255; i >= 1; i--)
            {
                foreach (var a in aes)
                {
                    h = a.EncryptEcb(h, PaddingMode.None); // two independent 16-byte blocks
                }

                int j = (int)(new BigInteger(h, isUnsigned: true, isBigEndian: true) % (i + 1));
                (pad[i], pad[j]) = (pad[j], pad[i]);
            }
        }

        foreach (var a in aes)
        {
            a.Dispose();
        }

        return result;
    }
}
