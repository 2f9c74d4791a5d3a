using Kcptun.Crypto;
using Kcptun.Diagnostics;
using Kcptun.Kcp;
using Kcptun.Transport;

namespace Kcptun.Fuzz.Targets;

/// <summary>
/// A session's whole receive path, as <c>KcpSession</c> runs it: <see cref="PacketPipeline.TryOpen"/> (latest
/// <c>null</c> crypt, so the fuzzer writes the plaintext directly), the FEC flag dispatch, the FEC decoder and KCP
/// input, then a flush and the application's read. Input: <c>[settings]</c> then one record per datagram. The
/// session's conversation comes from the first datagram that names one, as on a server. Checks: every datagram is
/// either opened or counted as dropped, and each datagram that reaches the pipeline is counted in InPkts.
/// </summary>
internal static class DatagramTarget
{
    private static readonly byte[] s_datagram = new byte[KcpSessionOptions.MaxDatagramSize];
    private static readonly byte[] s_receive = new byte[1 << 16];
    private static readonly PacketProtection s_protection = PacketProtection.Create("null", new byte[PacketProtection.DerivedKeySize], WireGeneration.Latest);

    public static void Run(ReadOnlySpan<byte> data)
    {
        var input = new FuzzInput(data);
        var settings = input.Byte();
        var options = new KcpSessionOptions
        {
            DataShards = (settings & 1) != 0 ? 3 : 0,
            ParityShards = (settings & 1) != 0 ? 2 : 0,
            AckNoDelay = (settings & 2) != 0,
        };
        var counters = new SnmpCounters();
        var sink = new CountingSink();
        var pipeline = new PacketPipeline(s_protection, options, counters, sink);
        KcpControlBlock? kcp = null;
        long expectedPackets = 0;
        long dropped = 0;
        long now = 0; // a deterministic clock: each datagram arrives 10 ms after the previous one
        while (input.TryRecord(out var record))
        {
            var datagram = s_datagram.AsSpan(0, Math.Min(record.Length, s_datagram.Length));
            record[..datagram.Length].CopyTo(datagram);
            if (!PacketPipeline.TryOpen(s_protection, datagram, counters, out var payload))
            {
                dropped++;
                FuzzFindingException.Check(counters.InCsumErrors + counters.InErrs == dropped, "a dropped datagram was not counted once");
                continue;
            }

            if (kcp is null)
            {
                if (!PacketPipeline.TryReadConversation(payload, out var conversation, out _))
                {
                    continue;
                }

                kcp = new KcpControlBlock(conversation, pipeline.Output, pipeline.ReservedSize, counters) { StreamMode = true };
                kcp.SetMtu(options.Mtu - pipeline.TrailerSize);
                kcp.AckNoDelay = options.AckNoDelay;
            }

            now += 10;
            pipeline.Input(payload, kcp, now);
            expectedPackets++;
            FuzzFindingException.Check(counters.InPkts == expectedPackets, $"InPkts is {counters.InPkts} after {expectedPackets} packets");
            kcp.Flush(unchecked((uint)now));
            pipeline.SendPending();
            while (kcp.Receive(s_receive) > 0)
            {
            }
        }
    }

    private sealed class CountingSink : IDatagramSink
    {
        public long Sent { get; private set; }

        public void Send(ReadOnlySpan<byte> datagram) => Sent += datagram.Length;
    }
}
