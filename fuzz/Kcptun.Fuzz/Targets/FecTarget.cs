using Kcptun.Diagnostics;
using Kcptun.Fec;

namespace Kcptun.Fuzz.Targets;

/// <summary>
/// The FEC header and decoder. Input: <c>[D - 1][P - 1]</c> (mod 16) then records, each <c>[clock step][FEC packet...]</c> (the
/// decrypted payload from the FEC header on). The clock advances by step × 500 ms before each packet, so the 60 s
/// expiry is reachable. Checks: the header reads back what <see cref="FecHeader.Write"/> wrote, a recovered packet is
/// never longer than a datagram, and the decoder never recovers more packets than a set holds.
/// </summary>
internal static class FecTarget
{
    public static void Run(ReadOnlySpan<byte> data)
    {
        var input = new FuzzInput(data);
        // The local shard counts (1..16 each: building a large codec per input would starve the fuzzer); the
        // decoder's auto-tuning follows whatever geometry the packets show, up to 255 + 1.
        int dataShards = 1 + (input.Byte() % 16);
        int parityShards = 1 + (input.Byte() % 16);
        var decoder = new FecDecoder(dataShards, parityShards, new SnmpCounters());
        long now = 0;
        Span<byte> written = stackalloc byte[FecHeader.Size];
        while (input.TryRecord(out var record))
        {
            var step = new FuzzInput(record);
            now += step.Byte() * 500L;
            var packet = step.Rest;
            if (FecHeader.TryRead(packet, out var header))
            {
                header.Write(written);
                FuzzFindingException.Check(written.SequenceEqual(packet[..FecHeader.Size]), "FecHeader does not write back what it read");
            }

            int recovered = decoder.Decode(packet, now);
            FuzzFindingException.Check(recovered >= 0 && recovered <= decoder.DataShards, $"{recovered} packets recovered with D = {decoder.DataShards}");
            for (int i = 0; i < recovered; i++)
            {
                FuzzFindingException.Check(decoder.Recovered(i).Length <= FecDecoder.MaxPacketSize, "a recovered packet longer than a datagram");
            }
        }
    }
}
