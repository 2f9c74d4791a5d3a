using System.Text;
using System.Text.Json;
using Kcptun.Compression;
using Kcptun.Tests.Support;

namespace Kcptun.Tests.Compression;

public class SnappyFramingStreamTests
{
    [Fact]
    public void Masked_crc32c_matches_the_vector_examples()
    {
        using var vector = Vectors.Load("snappy_framing.json");
        foreach (var example in vector.RootElement.GetProperty("masked_crc32c_examples").EnumerateArray())
        {
            var input = Encoding.ASCII.GetBytes(example.GetProperty("input_ascii").GetString()!);
            Assert.Equal(Convert.ToUInt32(example.GetProperty("crc32c").GetString(), 16), Crc32C.Compute(input));
            Assert.Equal(Convert.ToUInt32(example.GetProperty("masked").GetString(), 16), Crc32C.ComputeMasked(input));
        }
    }

    [Fact]
    public void Crc32c_agrees_with_a_bitwise_oracle_on_every_length()
    {
        var data = new byte[100];
        new Random(5).NextBytes(data);
        for (var length = 0; length <= data.Length; length++)
        {
            Assert.Equal(BitwiseCrc32C(data.AsSpan(0, length)), Crc32C.Compute(data.AsSpan(0, length)));
        }
    }

    [Fact]
    public void Reader_decodes_the_kcptun_stream_into_the_four_frames()
    {
        using var vector = Vectors.Load("snappy_framing.json");
        var writes = vector.RootElement.GetProperty("writes").EnumerateArray().ToArray();
        var expected = writes.SelectMany(w => Vectors.Hex(w.GetProperty("input_hex").GetString()!)).ToArray();
        var wire = Vectors.Hex(vector.RootElement.GetProperty("concatenated_stream_hex").GetString()!);

        // Whole stream at once, and one byte at a time (chunks split across inner reads).
        Assert.Equal(expected, ReadAll(new MemoryStream(wire)));
        Assert.Equal(expected, ReadAll(new TrickleStream(wire)));
        foreach (var size in new[] { 1, 3, 8, 300 })
        {
            Assert.Equal(expected, ReadAll(new MemoryStream(wire), size));
        }
    }

    [Fact]
    public void Writer_output_matches_the_vector_where_the_encoding_is_deterministic()
    {
        using var vector = Vectors.Load("snappy_framing.json");
        var inner = new MemoryStream();
        using var snappy = new SnappyFramingStream(inner, leaveOpen: true);
        foreach (var write in vector.RootElement.GetProperty("writes").EnumerateArray())
        {
            var before = inner.Length;
            snappy.Write(Vectors.Hex(write.GetProperty("input_hex").GetString()!));
            var produced = inner.ToArray().AsSpan((int)before);
            var expected = string.Concat(write.GetProperty("underlying_writes_hex").EnumerateArray().Select(e => e.GetString()));
            if (expected[..2] == "00")
            {
                // Compressed chunk: same type and checksum; the block itself may be encoded differently.
                Assert.Equal(0, produced[0]);
                Assert.Equal(expected[8..16], Vectors.Hex(produced[4..8]));
            }
            else
            {
                Assert.Equal(expected, Vectors.Hex(produced));
            }
        }

        var inputs = vector.RootElement.GetProperty("writes").EnumerateArray().SelectMany(w => Vectors.Hex(w.GetProperty("input_hex").GetString()!)).ToArray();
        Assert.Equal(inputs, ReadAll(new MemoryStream(inner.ToArray())));
    }

    [Fact]
    public void Large_write_is_cut_into_65536_byte_chunks_like_kcptun()
    {
        using var vector = Vectors.Load("snappy_framing.json");
        var data = new byte[70000];
        for (var i = 0; i < data.Length; i++)
        {
            data[i] = (byte)(i * 7);
        }

        var inner = new MemoryStream();
        using (var snappy = new SnappyFramingStream(inner, leaveOpen: true))
        {
            snappy.Write(data);
        }

        var chunks = ChunkHeaders(inner.ToArray());
        var expected = vector.RootElement.GetProperty("large_write_70000_bytes").GetProperty("chunk_header_prefixes_hex").EnumerateArray().Select(e => e.GetString()!).ToArray();
        Assert.Equal(3, chunks.Count); // stream identifier + 2
        Assert.Equal(0xFF, chunks[0].Type);
        for (var i = 0; i < expected.Length; i++)
        {
            // Type and checksum must match; the compressed length depends on the compressor.
            Assert.Equal(expected[i][..2], Vectors.Hex(chunks[i + 1].Header.AsSpan(0, 1)));
            Assert.Equal(expected[i][8..], Vectors.Hex(chunks[i + 1].Header.AsSpan(4, 4)));
        }

        Assert.Equal(data, ReadAll(new MemoryStream(inner.ToArray())));
    }

    [Fact]
    public async Task Round_trip_of_random_and_text_writes_one_chunk_per_write()
    {
        var random = new Random(11);
        var inner = new MemoryStream();
        var written = new List<byte>();
        var snappy = new SnappyFramingStream(inner, leaveOpen: true);
        var writes = 0;
        for (var i = 0; i < 200; i++)
        {
            var data = new byte[random.Next(1, 3000)];
            if (i % 2 == 0)
            {
                random.NextBytes(data);
            }
            else
            {
                Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("kcptun smux ", 300))).AsSpan(0, data.Length).CopyTo(data);
            }

            await snappy.WriteAsync(data);
            written.AddRange(data);
            writes++;
        }

        await snappy.WriteAsync(Array.Empty<byte>()); // writes nothing
        var chunks = ChunkHeaders(inner.ToArray());
        Assert.Equal(1 + writes, chunks.Count);
        Assert.Contains(chunks, c => c.Type == 0x00);
        Assert.Contains(chunks, c => c.Type == 0x01);
        var reader = new SnappyFramingStream(new MemoryStream(inner.ToArray()));
        var back = new MemoryStream();
        await reader.CopyToAsync(back);
        Assert.Equal(written.ToArray(), back.ToArray());
    }

    [Fact]
    public void Skippable_and_padding_chunks_and_repeated_identifiers_are_skipped()
    {
        var frame = "0100000003000000";
        var wire = "ff060000734e61507059" + "fe030000000000" + "80020000abcd" + "ff060000734e61507059" + "010c00004439ac2f" + frame;
        Assert.Equal(frame, Vectors.Hex(ReadAll(new MemoryStream(Vectors.Hex(wire)))));
    }

    [Fact]
    public void Empty_input_is_end_of_stream()
    {
        Assert.Empty(ReadAll(new MemoryStream()));
    }

    public static TheoryData<string, string> Corrupt => new()
    {
        { "010c00004439ac2f0100000003000000", "not the stream identifier" },
        { "ff060000734e61507058", "bad stream identifier" },
        { "ff060000734e61507059010c00004439ac2e0100000003000000", "checksum mismatch in an uncompressed chunk" },
        { "ff060000734e61507059000c00004439ac2f0100000003000000", "corrupt input" },
        { "ff060000734e61507059010200000000", "shorter than its checksum" },
        { "ff060000734e6150705901cf2a01", "chunk length 76495 exceeds the maximum 76494" },
        { "ff060000734e61507059020400000000000000", "unskippable chunk type 0x02" },
        { "ff060000734e61507059010c00004439ac2f010000", "unexpected end of stream" },
        // Found by the session fuzz target: a length varint past int.MaxValue that the block codec reads as negative.
        { "ff060000734e61507059" + "00200000" + "44738484" + "848484844e615070590020000044738484847e6c6c6002040f02656c", "bad block length" },
    };

    [Theory]
    [MemberData(nameof(Corrupt))]
    public async Task Corrupt_input_gives_a_clear_sticky_error(string hex, string message)
    {
        var reader = new SnappyFramingStream(new MemoryStream(Vectors.Hex(hex)));
        var error = Assert.Throws<InvalidDataException>(() => reader.ReadExactly(new byte[8]));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        var again = await Assert.ThrowsAsync<InvalidDataException>(() => reader.ReadAsync(new byte[8]).AsTask());
        Assert.Equal(error.Message, again.Message);
    }

    [Fact]
    public void Compressed_chunk_decoding_past_65536_bytes_is_rejected()
    {
        // Varint 65537 (0x81 0x80 0x04) followed by nothing useful.
        var wire = Vectors.Hex("ff060000734e61507059" + "00070000" + "00000000" + "818004");
        var error = Assert.Throws<InvalidDataException>(() => ReadAll(new MemoryStream(wire)));
        Assert.Contains("more than 65536", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Dispose_closes_the_inner_stream_unless_left_open()
    {
        var inner = new MemoryStream();
        new SnappyFramingStream(inner, leaveOpen: true).Dispose();
        Assert.True(inner.CanRead);
        new SnappyFramingStream(inner).Dispose();
        Assert.False(inner.CanRead);
    }

    internal static byte[] ReadAll(Stream inner, int readSize = 4096)
    {
        using var reader = new SnappyFramingStream(inner);
        var output = new MemoryStream();
        var buffer = new byte[readSize];
        int read;
        while ((read = reader.Read(buffer, 0, buffer.Length)) > 0)
        {
            output.Write(buffer, 0, read);
        }

        return output.ToArray();
    }

    private static List<(byte Type, byte[] Header)> ChunkHeaders(byte[] wire)
    {
        var chunks = new List<(byte, byte[])>();
        var position = 0;
        while (position < wire.Length)
        {
            var length = wire[position + 1] | (wire[position + 2] << 8) | (wire[position + 3] << 16);
            chunks.Add((wire[position], wire.AsSpan(position, Math.Min(8, 4 + length)).ToArray()));
            position += 4 + length;
        }

        Assert.Equal(wire.Length, position);
        return chunks;
    }

    private static uint BitwiseCrc32C(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var value in data)
        {
            crc ^= value;
            for (var bit = 0; bit < 8; bit++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
            }
        }

        return ~crc;
    }

    /// <summary>Returns one byte per read.</summary>
    private sealed class TrickleStream(byte[] data) : MemoryStream(data)
    {
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, 1));

        public override int Read(Span<byte> buffer) => base.Read(buffer[..Math.Min(buffer.Length, 1)]);
    }
}
