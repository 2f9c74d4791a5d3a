using Kcptun.Diagnostics;
using Kcptun.Kcp;

namespace Kcptun.Fuzz.Targets;

/// <summary>
/// The KCP state machine fed by a peer. Input: <c>[settings]</c> then records, each <c>[operation][bytes...]</c>:
/// operation mod 4 = 0 regular input, 1 FEC-recovered input, 2 a flush after (bytes[0] × 10 ms), 3 the application
/// sends the bytes. After every operation the application reads everything there is. The conversation is 0x12345678
/// (the one of the vectors). Checks: Input returns a defined result, Receive never claims more than the
/// buffer, the receive side never holds more than the receive window.
/// </summary>
internal static class KcpTarget
{
    public const uint Conversation = 0x12345678;

    private static readonly byte[] s_receive = new byte[1 << 16];

    public static void Run(ReadOnlySpan<byte> data)
    {
        var input = new FuzzInput(data);
        var settings = input.Byte();
        var kcp = new KcpControlBlock(Conversation, static (_, _) => { }, reserved: 0, new SnmpCounters())
        {
            StreamMode = (settings & 1) == 0,
        };
        kcp.FlushOptions = new KcpFlushOptions
        {
            NoDelay = ((settings >> 1) & 1) != 0,
            Interval = 10,
            FastResend = (settings >> 2) & 3,
            UseCongestionWindow = ((settings >> 4) & 1) == 0,
        };
        kcp.SetWindowSize(32, (settings & 0x20) != 0 ? 4 : 128);
        kcp.AckNoDelay = (settings & 0x40) != 0;
        uint now = 1000;
        while (input.TryRecord(out var record))
        {
            var operation = new FuzzInput(record);
            var kind = operation.Byte() & 3;
            var bytes = operation.Rest;
            switch (kind)
            {
                case 0:
                case 1:
                    KcpInputResult result = kind == 0 ? kcp.Input(bytes, now) : kcp.InputRecovered(bytes, now);
                    FuzzFindingException.Check(Enum.IsDefined(result), $"Input returned {result}");
                    break;
                case 2:
                    now += (uint)(bytes.IsEmpty ? 0 : bytes[0] * 10);
                    kcp.Flush(now);
                    break;
                default:
                    kcp.Send(bytes);
                    break;
            }

            Drain(kcp);
            FuzzFindingException.Check(kcp.ReceiveQueueCount + kcp.ReceiveBufferCount <= 2 * kcp.ReceiveWindow + 1,
                $"{kcp.ReceiveQueueCount} + {kcp.ReceiveBufferCount} segments held with a receive window of {kcp.ReceiveWindow}");
        }

        kcp.Flush(now + 10_000);
    }

    private static void Drain(KcpControlBlock kcp)
    {
        // Every read takes at least a segment, so this many reads mean Receive stopped making progress.
        for (int reads = 0; reads < 1 << 16; reads++)
        {
            int peek = kcp.PeekSize();
            int read = kcp.Receive(s_receive);
            FuzzFindingException.Check(read <= s_receive.Length, $"Receive returned {read} for a buffer of {s_receive.Length}");
            if (read < 0)
            {
                FuzzFindingException.Check(read is -1 or KcpControlBlock.ErrorBufferTooSmall || peek < 0, $"Receive returned {read}");
                return;
            }
        }

        throw new FuzzFindingException("hang: Receive keeps returning data");
    }
}
