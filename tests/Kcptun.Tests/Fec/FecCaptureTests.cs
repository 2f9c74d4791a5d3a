using System.Text.Json;
using Kcptun.Diagnostics;
using Kcptun.Fec;
using Kcptun.Tests.Support;

namespace Kcptun.Tests.Fec;

/// <summary>The decoder on FEC packets captured from the real Debian kcptun client.</summary>
public class FecCaptureTests
{
    [Fact]
    public void Encoder_reproduces_the_captured_parity_packets()
    {
        byte[][] set = CapturedSet();
        var encoder = new FecEncoder(10, 3, 20, 1350);
        for (int i = 0; i < 10; i++)
        {
            // Protection header (20 bytes, left to the crypto stage) + the captured packet's KCP bytes.
            byte[] datagram = new byte[20 + set[i].Length];
            set[i].AsSpan(FecHeader.Size).CopyTo(datagram.AsSpan(20 + FecHeader.Size));
            int ready = encoder.Encode(datagram);
            Assert.Equal(Vectors.Hex(set[i]), Vectors.Hex(datagram.AsSpan(20)));
            Assert.Equal(i == 9 ? 3 : 0, ready);
        }

        for (int p = 0; p < 3; p++)
        {
            Assert.Equal(Vectors.Hex(set[10 + p]), Vectors.Hex(encoder.ParityDatagram(p)[20..]));
        }
    }

    [Fact]
    public void Rebuilds_every_loss_pattern_of_the_first_captured_set()
    {
        byte[][] set = CapturedSet();
        int patterns = 0;
        for (int mask = 1; mask < 1 << 13; mask++)
        {
            if (int.PopCount(mask) > 3)
            {
                continue;
            }

            var counters = new SnmpCounters();
            var decoder = new FecDecoder(10, 3, counters);
            var recovered = new List<string>();
            for (int i = 0; i < 13; i++)
            {
                if ((mask & (1 << i)) == 0)
                {
                    int n = decoder.Decode(set[i], i);
                    for (int r = 0; r < n; r++)
                    {
                        recovered.Add(Vectors.Hex(decoder.Recovered(r)));
                    }
                }
            }

            // A data packet's KCP bytes are everything after its 8-byte FEC header.
            string[] expected = [.. Enumerable.Range(0, 10).Where(i => (mask & (1 << i)) != 0).Select(i => Vectors.Hex(set[i].AsSpan(FecHeader.Size)))];
            Assert.Equal(expected, recovered);
            Assert.Equal(0, counters.FecErrs);
            patterns++;
        }

        Assert.Equal(377, patterns);
    }

    /// <summary>trace_debian_aes_snappy.json: the client's seqids 0..9 (data) and 10..12 (parity), decrypted, from the FEC header on.</summary>
    private static byte[][] CapturedSet()
    {
        using JsonDocument doc = Vectors.Load("trace_debian_aes_snappy.json");
        var set = new byte[13][];
        foreach (JsonElement datagram in doc.RootElement.GetProperty("datagrams").EnumerateArray())
        {
            if (datagram.GetProperty("dir").GetString() == "client->server"
                && datagram.TryGetProperty("fec_seqid", out JsonElement seqid) && seqid.GetUInt32() < 13)
            {
                set[seqid.GetUInt32()] = Vectors.Hex(datagram.GetProperty("decrypted_hex").GetString()!)[20..];
            }
        }

        Assert.All(set, Assert.NotNull);
        return set;
    }
}
