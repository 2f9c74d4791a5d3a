using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Kcptun.EndToEnd.Emulation;

namespace Kcptun.EndToEnd;

/// <summary>
/// The <c>emulator-ceiling</c> command: blasts 1350-byte datagrams through the link emulator into a counting sink
/// on loopback and reports what the emulator delivers (packets/s, MB/s) and what it allocates per packet.
/// </summary>
public static class EmulatorCeiling
{
    private const int DatagramSize = 1350;

    /// <summary>Runs every profile for <paramref name="seconds"/> and prints a Markdown table.</summary>
    public static int Run(double seconds)
    {
        var profiles = new (string Name, LinkProfile Profile)[]
        {
            ("perfect (forward only)", LinkProfile.Perfect),
            ("delay 25 ms, jitter 2 ms, 1% loss, 1% reorder, 1% dup", LinkProfile.Parse("delay=25,jitter=2,loss=1,reorder=1,dup=1")),
            ("delay 25 ms, 1000 Mbit/s cap", LinkProfile.Parse("delay=25,rate=1000,queue=1048576")),
            ("delay 25 ms, 100 Mbit/s cap (accuracy check: expect 12.5 MB/s)", LinkProfile.Parse("delay=25,rate=100")),
        };
        Console.WriteLine("| profile | offered pkt/s | delivered pkt/s | delivered MB/s | emulator drops (loss/queue/overflow) | allocated B/pkt |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|");
        foreach (var (name, profile) in profiles)
        {
            var m = Measure(profile, TimeSpan.FromSeconds(seconds));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {name} | {m.OfferedPerSecond:0} | {m.DeliveredPerSecond:0} | {m.DeliveredPerSecond * DatagramSize / 1e6:0.0} | {m.Drops} | {m.AllocatedPerPacket:0.0} |"));
        }

        return 0;
    }

    /// <summary>One measurement: returns offered and delivered packets per second, drops, allocation per packet.</summary>
    public static (double OfferedPerSecond, double DeliveredPerSecond, string Drops, double AllocatedPerPacket) Measure(
        LinkProfile profile, TimeSpan duration)
    {
        using var sink = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        sink.ReceiveBufferSize = 8 << 20;
        sink.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        using var emulator = LinkEmulator.Start((IPEndPoint)sink.LocalEndPoint!, profile, LinkProfile.Perfect, 7);
        long received = 0;
        var stop = false;
        var sinkThread = new Thread(() =>
        {
            var buffer = new byte[2048];
            var from = new SocketAddress(AddressFamily.InterNetwork);
            while (!Volatile.Read(ref stop))
            {
                try
                {
                    sink.ReceiveFrom(buffer, SocketFlags.None, from);
                    Interlocked.Increment(ref received);
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                    return; // closed at the end of the measurement
                }
            }
        }) { IsBackground = true };
        sinkThread.Start();

        using var sender = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        sender.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var front = emulator.FrontEndPoint.Serialize();
        var datagram = new byte[DatagramSize];
        // Warm up the mapping, the buffer pool and the queue for half a second, then measure the steady state.
        var warm = Stopwatch.GetTimestamp();
        while (Stopwatch.GetElapsedTime(warm).TotalSeconds < 0.5)
        {
            sender.SendTo(datagram, SocketFlags.None, front);
        }

        Thread.Sleep(profile.DelayMs > 0 ? (int)profile.DelayMs * 4 : 100);
        var receivedBefore = Interlocked.Read(ref received);
        var offeredBefore = emulator.Up.Offered;
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var started = Stopwatch.GetTimestamp();
        while (Stopwatch.GetElapsedTime(started) < duration)
        {
            for (var i = 0; i < 64; i++)
            {
                sender.SendTo(datagram, SocketFlags.None, front);
            }

        }

        // Count what is delivered within the run plus the link delay (what was in flight at the end).
        Thread.Sleep((int)(profile.DelayMs + (profile.JitterMs * 2) + 50));
        var elapsed = Stopwatch.GetElapsedTime(started).TotalSeconds - ((profile.DelayMs + (profile.JitterMs * 2) + 50) / 1000);
        var delivered = Interlocked.Read(ref received) - receivedBefore;
        var offered = emulator.Up.Offered - offeredBefore;
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        Volatile.Write(ref stop, true);
        sink.Dispose();
        sinkThread.Join();
        var up = emulator.Up;
        return (offered / elapsed, delivered / elapsed,
            $"{up.RandomLoss + up.BurstLoss}/{up.QueueDrops}/{up.Overflow}",
            offered > 0 ? (double)allocated / offered : double.NaN);
    }
}
