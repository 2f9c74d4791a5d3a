using Kcptun.Fec;

namespace Kcptun.Tests.Fec;

/// <summary>One packet as the decoder sees it (from the FEC header on) and, for data, the KCP bytes it carries.</summary>
public sealed record FecTestPacket(uint SequenceId, bool IsData, byte[] Bytes, byte[] Kcp);

/// <summary>Builds FEC packet streams with the real encoder (no protection header).</summary>
public static class FecPacketSource
{
    /// <param name="parityOfGroup">Parity datagrams group g emits (the encoder's ActiveParityShards); null: all.</param>
    public static List<FecTestPacket> Create(int dataShards, int parityShards, int dataPackets, int seed, int maxKcp = 1300,
        Func<int, int>? parityOfGroup = null)
    {
        var random = new Random(seed);
        var encoder = new FecEncoder(dataShards, parityShards, 0, 1400);
        var packets = new List<FecTestPacket>();
        for (int i = 0; i < dataPackets; i++)
        {
            var kcp = new byte[random.Next(24, maxKcp + 1)];
            random.NextBytes(kcp);
            if (parityOfGroup is not null && i % dataShards == 0)
            {
                encoder.ActiveParityShards = parityOfGroup(i / dataShards);
            }

            var datagram = new byte[FecHeader.Size + kcp.Length];
            kcp.CopyTo(datagram, FecHeader.Size);
            int ready = encoder.Encode(datagram);
            packets.Add(new FecTestPacket(BitConverter.ToUInt32(datagram), true, datagram, kcp));
            for (int p = 0; p < ready; p++)
            {
                byte[] parity = encoder.ParityDatagram(p).ToArray();
                packets.Add(new FecTestPacket(BitConverter.ToUInt32(parity), false, parity, []));
            }
        }

        return packets;
    }
}
