using Kcptun.Crypto;
using Kcptun.Tests.Support;

namespace Kcptun.Tests.Crypto;

/// <summary>ciphers.json: each cipher's raw datagram transform, all lengths including partial final blocks.</summary>
public class CipherVectorTests
{
    public static TheoryData<string> Crypts()
    {
        var data = new TheoryData<string>();
        foreach (var c in CryptoVectors.Ciphers)
        {
            data.Add(c.StringOf("crypt"));
        }

        return data;
    }

    [Fact]
    public void Every_debian_cipher_has_raw_vectors()
    {
        Assert.Equal(PacketProtection.Names(WireGeneration.Debian).Order(), CryptoVectors.Ciphers.Select(c => c.StringOf("crypt")).Order());
    }

    [Theory]
    [MemberData(nameof(Crypts))]
    public void Key_slice_matches_the_table(string crypt)
    {
        var c = CryptoVectors.Cipher(crypt);
        Assert.Equal(c.GetProperty("key_bytes_used").GetInt32(), CipherCatalog.KeyLength(crypt));
        Assert.Equal(c.StringOf("key_hex"), Vectors.Hex(CryptoVectors.Pass.AsSpan(0, CipherCatalog.KeyLength(crypt))));
    }

    [Theory]
    [MemberData(nameof(Crypts))]
    public void Encrypt_and_decrypt_match_go(string crypt)
    {
        var c = CryptoVectors.Cipher(crypt);
        var key = c.HexOf("key_hex");
        var encryptor = CipherCatalog.CreateCipher(crypt, key);
        var decryptor = CipherCatalog.CreateCipher(crypt, key);
        int count = 0;
        foreach (var v in c.GetProperty("raw_vectors").EnumerateArray())
        {
            var plain = v.HexOf("plaintext_hex");
            var buffer = (byte[])plain.Clone();
            encryptor.Encrypt(buffer);
            Assert.Equal(v.StringOf("ciphertext_hex"), Vectors.Hex(buffer));
            decryptor.Decrypt(buffer);
            Assert.Equal(plain, buffer);
            count++;
        }

        Assert.Equal(crypt == "salsa20" ? 8 : 10, count);
    }

    [Fact]
    public void Xor_table_matches_go()
    {
        var c = CryptoVectors.Cipher("xor");
        var cipher = new XorCipher(c.HexOf("key_hex"));
        Assert.Equal(c.StringOf("xor_table_hex"), Vectors.Hex(cipher.Table));

        // A 1500-byte zero datagram encrypts to the table itself.
        var zeros = new byte[XorCipher.TableSize];
        cipher.Encrypt(zeros);
        Assert.Equal(c.StringOf("xor_table_hex"), Vectors.Hex(zeros));
    }

    [Fact]
    public void Tea_uses_eight_cycles_not_thirty_two()
    {
        // BouncyCastle's 32-cycle TEA gives a different block: guards against swapping it in.
        var key = CryptoVectors.Cipher("tea").HexOf("key_hex");
        var ours = new byte[8];
        new TeaBlock(key).EncryptBlock(new byte[8], ours);
        var standard = new byte[8];
        var engine = new Org.BouncyCastle.Crypto.Engines.TeaEngine();
        engine.Init(true, new Org.BouncyCastle.Crypto.Parameters.KeyParameter(key));
        engine.ProcessBlock(new byte[8], standard);
        Assert.NotEqual(standard, ours);
    }

    [Theory]
    [MemberData(nameof(Crypts))]
    public void Random_lengths_round_trip(string crypt)
    {
        var key = CryptoVectors.Pass.AsSpan(0, CipherCatalog.KeyLength(crypt)).ToArray();
        var encryptor = CipherCatalog.CreateCipher(crypt, key);
        var decryptor = CipherCatalog.CreateCipher(crypt, key);
        var random = new Random(crypt.Length * 31);
        for (int i = 0; i < 200; i++)
        {
            var plain = new byte[random.Next(20, 1501)];
            random.NextBytes(plain);
            var buffer = (byte[])plain.Clone();
            encryptor.Encrypt(buffer);
            if (crypt != "none")
            {
                Assert.NotEqual(plain, buffer);
            }

            decryptor.Decrypt(buffer);
            Assert.Equal(plain, buffer);
        }
    }

    [Fact]
    public void Salsa20_vector_path_equals_the_scalar_core()
    {
        var key = CryptoVectors.Pass;
        var fast = new Salsa20Cipher(key);
        var scalar = new Salsa20Cipher(key) { ScalarOnly = true };
        var random = new Random(20);
        for (int length = 0; length < 1600; length += 1 + random.Next(13))
        {
            var a = new byte[length];
            random.NextBytes(a);
            var b = (byte[])a.Clone();
            fast.Encrypt(a);
            scalar.Encrypt(b);
            Assert.Equal(b, a);
        }
    }

    [Theory]
    [InlineData(8 + 1)]
    [InlineData(8 + 63)]
    [InlineData(8 + 64)]
    [InlineData(8 + 255)]
    [InlineData(8 + 256)]
    [InlineData(8 + 257)]
    [InlineData(8 + 511)]
    [InlineData(8 + 512)]
    [InlineData(8 + 513)]
    [InlineData(8 + 383)]
    [InlineData(8 + 384)]
    [InlineData(8 + 385)]
    [InlineData(8 + 768)]
    [InlineData(1350)]
    [InlineData(65507)]
    public void Salsa20_vector_path_equals_the_scalar_core_at_chunk_boundaries(int length)
    {
        var key = new byte[32];
        var random = new Random(length);
        random.NextBytes(key);
        var fast = new Salsa20Cipher(key);
        var scalar = new Salsa20Cipher(key) { ScalarOnly = true };
        for (int trial = 0; trial < 4; trial++)
        {
            var a = new byte[length];
            random.NextBytes(a);
            if (trial == 1)
            {
                a.AsSpan(0, 8).Fill(0xff); // every nonce bit set
            }

            var b = (byte[])a.Clone();
            fast.Encrypt(a);
            scalar.Encrypt(b);
            Assert.Equal(b, a);
        }
    }

    [Fact]
    public void Salsa20_block_zero_matches_the_bouncycastle_engine()
    {
        // An independent oracle for the core: BouncyCastle Salsa20 over a long run spans the counter's blocks.
        var key = CryptoVectors.Pass;
        var nonce = new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 };
        var engine = new Org.BouncyCastle.Crypto.Engines.Salsa20Engine();
        engine.Init(true, new Org.BouncyCastle.Crypto.Parameters.ParametersWithIV(new Org.BouncyCastle.Crypto.Parameters.KeyParameter(key), nonce));
        var expected = new byte[1500 - 8];
        engine.ProcessBytes(new byte[expected.Length], 0, expected.Length, expected, 0);

        var datagram = new byte[1500];
        nonce.CopyTo(datagram, 0);
        new Salsa20Cipher(key).Encrypt(datagram);
        Assert.Equal(nonce, datagram[..8]);
        Assert.Equal(expected, datagram[8..]);
    }

    [Theory]
    [InlineData(16)]
    [InlineData(24)]
    [InlineData(32)]
    public void Aes_hardware_path_equals_the_portable_path(int keyLength)
    {
        if (!AesNiCfbCipher.IsSupported)
        {
            return; // the run with DOTNET_EnableHWIntrinsic=0 uses the portable path everywhere
        }

        var key = CryptoVectors.Pass.AsSpan(0, keyLength).ToArray();
        var fast = new AesNiCfbCipher(key);
        var portable = AesCfb.CreatePortable(key);
        var random = new Random(keyLength);
        for (int length = 0; length < 1600; length += 1 + random.Next(37))
        {
            var plain = new byte[length];
            random.NextBytes(plain);
            var a = (byte[])plain.Clone();
            var b = (byte[])plain.Clone();
            fast.Encrypt(a);
            portable.Encrypt(b);
            Assert.Equal(b, a);
            fast.Decrypt(a);
            Assert.Equal(plain, a);
        }
    }

    [Fact]
    public void Aes_key_expansion_matches_fips_197()
    {
        if (!AesNiCfbCipher.IsSupported)
        {
            return;
        }

        // FIPS-197 appendix A.1 (AES-128): last round key of 2b7e1516 28aed2a6 abf71588 09cf4f3c.
        var keys = AesNiCfbCipher.ExpandKey(Vectors.Hex("2b7e151628aed2a6abf7158809cf4f3c"));
        Assert.Equal(11, keys.Length);
        Assert.Equal("d014f9a8c9ee2589e13f0cc8b6630ca6", Vectors.Hex(MemoryMarshalBytes(keys[10])));

        // Appendix A.3 (AES-256): last round key.
        keys = AesNiCfbCipher.ExpandKey(Vectors.Hex("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4"));
        Assert.Equal(15, keys.Length);
        Assert.Equal("fe4890d1e6188d0b046df344706c631e", Vectors.Hex(MemoryMarshalBytes(keys[14])));
    }

    [Fact]
    public void Cast5_uses_the_allocation_free_rounds_and_equals_bouncycastle()
    {
        var key = CryptoVectors.Pass.AsSpan(0, 16).ToArray();
        var ours = Cast5Block.Create(key);
        Assert.IsType<Cast5Block>(ours);
        var engine = BouncyCastleBlock.Cast5(key);
        var random = new Random(55);
        var block = new byte[8];
        var a = new byte[8];
        var b = new byte[8];
        for (int i = 0; i < 1000; i++)
        {
            random.NextBytes(block);
            ours.EncryptBlock(block, a);
            engine.EncryptBlock(block, b);
            Assert.Equal(b, a);
        }
    }

    [Fact]
    public void Cast5_rfc2144_b1_single_block()
    {
        var ours = Cast5Block.Create(Vectors.Hex("0123456712345678234567893456789a"));
        var output = new byte[8];
        ours.EncryptBlock(Vectors.Hex("0123456789abcdef"), output);
        Assert.Equal("238b4fe5847e44b2", Vectors.Hex(output));
    }

    [Fact]
    public void Cast5_key_schedule_and_tables_equal_bouncycastle_for_random_keys()
    {
        // Our own key schedule and RFC tables against BouncyCastle's (read by reflection here only, in the test).
        var flags = System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.Instance;
        var type = typeof(Org.BouncyCastle.Crypto.Engines.Cast5Engine);
        uint[][] ours = [Cast5Tables.S1, Cast5Tables.S2, Cast5Tables.S3, Cast5Tables.S4, Cast5Tables.S5, Cast5Tables.S6, Cast5Tables.S7, Cast5Tables.S8];
        for (int t = 0; t < 8; t++)
        {
            Assert.Equal((uint[])type.GetField("S" + (t + 1), flags)!.GetValue(null)!, ours[t]);
        }

        var random = new Random(2144);
        var key = new byte[16];
        var block = new byte[8];
        var a = new byte[8];
        var b = new byte[8];
        for (int trial = 0; trial < 50; trial++)
        {
            random.NextBytes(key);
            var engine = new Org.BouncyCastle.Crypto.Engines.Cast5Engine();
            engine.Init(true, new Org.BouncyCastle.Crypto.Parameters.KeyParameter(key));
            (uint[] masking, int[] rotation) = Cast5Block.KeySchedule(key);
            Assert.Equal(((uint[])type.GetField("_Km", flags)!.GetValue(engine)!)[1..], masking[1..]);
            Assert.Equal(((int[])type.GetField("_Kr", flags)!.GetValue(engine)!)[1..], rotation[1..]);

            var mine = Cast5Block.Create(key);
            var theirs = BouncyCastleBlock.Cast5(key);
            for (int i = 0; i < 20; i++)
            {
                random.NextBytes(block);
                mine.EncryptBlock(block, a);
                theirs.EncryptBlock(block, b);
                Assert.Equal(b, a);
            }
        }
    }

    private static byte[] MemoryMarshalBytes(System.Runtime.Intrinsics.Vector128<byte> v)
    {
        var bytes = new byte[16];
        System.Runtime.Intrinsics.Vector128.CopyTo(v, bytes);
        return bytes;
    }
}
