using System.Globalization;
using System.Text.Json;
using Kcptun.Crypto;
using Kcptun.Tests.Support;

namespace Kcptun.Tests.Crypto;

/// <summary>latest_qpp.json: seed chunks, pads, PRNG state and four successive writes on one direction.</summary>
public class QppTests
{
    private static readonly JsonElement s_file = CryptoVectors.Load("latest_qpp.json");
    private static readonly Lazy<QuantumPermutationPad> s_pads =
        new(() => QuantumPermutationPad.Create(s_file.StringOf("seed_ascii"), s_file.GetProperty("num_pads").GetInt32()));

    [Fact]
    public void Seed_chunks_match()
    {
        var chunks = s_file.GetProperty("seed_chunks_hex").EnumerateArray().Select(e => e.GetString()!).ToArray();
        Assert.Equal(7, chunks.Length);
        Assert.Equal(string.Concat(chunks), Vectors.Hex(s_pads.Value.SeedChunks));
    }

    [Fact]
    public void Pads_match_and_reverse_pads_invert_them()
    {
        var pads = s_pads.Value;
        Assert.Equal(61, pads.PadCount);
        int checkedPads = 0;
        foreach (var p in s_file.GetProperty("pads").EnumerateArray())
        {
            int index = p.GetProperty("pad_index").GetInt32();
            Assert.Equal(p.StringOf("permutation_hex"), Vectors.Hex(pads.Pads.Slice(index * 256, 256)));
            checkedPads++;
        }

        Assert.Equal(3, checkedPads);
        for (int p = 0; p < pads.PadCount; p++)
        {
            for (int x = 0; x < 256; x++)
            {
                Assert.Equal(x, pads.ReversePads[(p * 256) + pads.Pads[(p * 256) + x]]);
            }
        }
    }

    [Fact]
    public void Prng_initial_state_and_first_word_match()
    {
        var initial = s_file.GetProperty("prng_initial_state");
        var expected = initial.GetProperty("xoshiro256_state_u64").EnumerateArray().Select(e => ParseU64(e.GetString()!)).ToArray();
        var transform = s_pads.Value.CreateTransform();
        var state = transform.State;
        Assert.Equal(expected, new[] { state.S0, state.S1, state.S2, state.S3 });
        Assert.Equal(ParseU64(initial.StringOf("current_word_u64")), state.Word);
        Assert.Equal(0, transform.Count);
    }

    [Fact]
    public void Successive_writes_encrypt_and_decrypt_like_go()
    {
        var writer = s_pads.Value.CreateTransform();
        var reader = s_pads.Value.CreateTransform();
        int writes = 0;
        foreach (var w in s_file.GetProperty("stream_writes").EnumerateArray())
        {
            var plain = w.HexOf("plaintext_hex");
            var buffer = (byte[])plain.Clone();
            writer.Encrypt(buffer);
            Assert.Equal(w.StringOf("ciphertext_hex"), Vectors.Hex(buffer));
            reader.Decrypt(buffer);
            Assert.Equal(plain, buffer);
            writes++;
        }

        Assert.Equal(4, writes);
    }

    [Fact]
    public void Split_points_do_not_matter()
    {
        var all = s_file.GetProperty("stream_writes").EnumerateArray().SelectMany(w => w.HexOf("plaintext_hex")).ToArray();
        var expected = s_file.GetProperty("stream_writes").EnumerateArray().SelectMany(w => w.HexOf("ciphertext_hex")).ToArray();
        var random = new Random(5);
        for (int trial = 0; trial < 20; trial++)
        {
            var transform = s_pads.Value.CreateTransform();
            var buffer = (byte[])all.Clone();
            for (int offset = 0; offset < buffer.Length;)
            {
                int n = Math.Min(buffer.Length - offset, random.Next(0, 13));
                transform.Encrypt(buffer.AsSpan(offset, n));
                offset += n;
            }

            Assert.Equal(expected, buffer);
        }
    }

    [Fact]
    public async Task QppStream_encrypts_writes_and_decrypts_reads()
    {
        var pads = s_pads.Value;
        var first = s_file.GetProperty("stream_writes")[0];
        using var wire = new MemoryStream();
        await using (var stream = new QppStream(wire, pads, leaveOpen: true))
        {
            var plain = first.HexOf("plaintext_hex");
            await stream.WriteAsync(plain);
            Assert.Equal(first.HexOf("plaintext_hex"), plain); // the caller's buffer is untouched
        }

        Assert.Equal(first.StringOf("ciphertext_hex"), Vectors.Hex(wire.ToArray()));

        wire.Position = 0;
        await using var reading = new QppStream(wire, pads, leaveOpen: true);
        var read = new byte[64];
        int n = await reading.ReadAsync(read);
        Assert.Equal(first.StringOf("plaintext_hex"), Vectors.Hex(read.AsSpan(0, n)));
    }

    [Fact]
    public void QppStream_round_trips_large_synchronous_writes()
    {
        var pads = s_pads.Value;
        var data = new byte[200_000];
        new Random(9).NextBytes(data);
        using var wire = new MemoryStream();
        using (var stream = new QppStream(wire, pads, leaveOpen: true))
        {
            stream.Write(data, 0, 70_001);
            stream.Write(data.AsSpan(70_001));
        }

        Assert.NotEqual(data, wire.ToArray());
        wire.Position = 0;
        using var reading = new QppStream(wire, pads, leaveOpen: true);
        var back = new byte[data.Length];
        reading.ReadExactly(back);
        Assert.Equal(data, back);
    }

    [Fact]
    public void Long_keys_are_used_directly_and_short_keys_are_stretched()
    {
        // Different code paths for seeds >= 32 bytes; both must give valid permutations and round trip.
        foreach (var key in new[] { "k", new string('x', 46) })
        {
            var pads = QuantumPermutationPad.Create(key, 17);
            var a = pads.CreateTransform();
            var b = pads.CreateTransform();
            var data = Enumerable.Range(0, 1000).Select(i => (byte)i).ToArray();
            var buffer = (byte[])data.Clone();
            a.Encrypt(buffer);
            Assert.NotEqual(data, buffer);
            b.Decrypt(buffer);
            Assert.Equal(data, buffer);
        }
    }

    [Fact]
    public void Pad_count_must_be_positive()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => QuantumPermutationPad.Create("testkey", 0));
    }

    private static ulong ParseU64(string hex) => ulong.Parse(hex.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
}
