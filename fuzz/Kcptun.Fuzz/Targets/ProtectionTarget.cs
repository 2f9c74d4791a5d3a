using Kcptun.Crypto;
using Kcptun.Diagnostics;
using Kcptun.Transport;

namespace Kcptun.Fuzz.Targets;

/// <summary>
/// Packet protection, every <c>--crypt</c> of the latest table (which holds the Debian one). Input:
/// <c>[cipher selector][mode][flip position][bytes...]</c> (the selector is absent when the cipher is pinned).
/// <list type="bullet">
/// <item>mode bit 0 clear: the bytes are a datagram off the wire; <see cref="PacketPipeline.TryOpen"/> must return,
/// and a drop must be counted exactly once (InCsumErrors or InErrs).</item>
/// <item>mode bit 0 set: the bytes are a payload; Seal then TryOpen must give it back. With mode bit 1 one bit after
/// the header is flipped first, and every cipher except <c>null</c> (which has no integrity check) must refuse it.</item>
/// </list>
/// </summary>
internal static class ProtectionTarget
{
    private static readonly string[] s_names = [.. PacketProtection.Names(WireGeneration.Latest)];
    private static readonly byte[] s_pass = PacketProtection.DeriveKey("testkey");
    private static readonly Dictionary<string, PacketProtection> s_protections = [];
    private static readonly byte[] s_buffer = new byte[4096];

    public static void Run(ReadOnlySpan<byte> data)
    {
        var input = new FuzzInput(data);
        Run(s_names[input.Byte() % s_names.Length], input.Rest);
    }

    public static void Run(string crypt, ReadOnlySpan<byte> data)
    {
        var protection = Protection(crypt);
        var input = new FuzzInput(data);
        var mode = input.Byte();
        var flip = input.Byte();
        var bytes = input.Rest;
        if ((mode & 1) == 0)
        {
            OpenRaw(protection, bytes);
        }
        else
        {
            RoundTrip(protection, bytes, (mode & 2) != 0 ? flip : -1);
        }
    }

    private static PacketProtection Protection(string crypt)
    {
        if (!s_protections.TryGetValue(crypt, out var protection))
        {
            protection = PacketProtection.Create(crypt, s_pass, WireGeneration.Latest);
            s_protections[crypt] = protection;
        }

        return protection;
    }

    private static void OpenRaw(PacketProtection protection, ReadOnlySpan<byte> bytes)
    {
        var datagram = s_buffer.AsSpan(0, Math.Min(bytes.Length, s_buffer.Length));
        bytes[..datagram.Length].CopyTo(datagram);
        var counters = new SnmpCounters();
        if (PacketPipeline.TryOpen(protection, datagram, counters, out var payload))
        {
            FuzzFindingException.Check(counters.InCsumErrors == 0 && counters.InErrs == 0, "an accepted datagram counted as an error");
            FuzzFindingException.Check(payload.Length >= PacketPipeline.KcpOverhead && payload.Length <= datagram.Length, "payload length outside the datagram");
        }
        else
        {
            FuzzFindingException.Check(counters.InCsumErrors + counters.InErrs == 1, $"a dropped datagram counted {counters.InCsumErrors} InCsumErrors + {counters.InErrs} InErrs, not once");
        }
    }

    private static void RoundTrip(PacketProtection protection, ReadOnlySpan<byte> plaintext, int flip)
    {
        int header = protection.HeaderSize;
        plaintext = plaintext[..Math.Min(plaintext.Length, KcpSessionOptions.MaxDatagramSize - header - protection.TrailerSize)];
        var buffer = s_buffer.AsSpan();
        plaintext.CopyTo(buffer[header..]);
        int wire = protection.Seal(buffer, header + plaintext.Length);
        FuzzFindingException.Check(wire == header + plaintext.Length + protection.TrailerSize, $"Seal returned {wire} bytes for {plaintext.Length} bytes of payload");
        if (flip >= 0 && wire > header)
        {
            int bit = header * 8 + (flip * 7919 % ((wire - header) * 8));
            buffer[bit / 8] ^= (byte)(1 << (bit % 8));
        }

        bool opened = protection.TryOpen(buffer[..wire], out var range);
        if (flip >= 0 && wire > header)
        {
            FuzzFindingException.Check(!opened || protection.Name == "null", $"{protection.Name} accepted a datagram with a flipped bit");
            return;
        }

        FuzzFindingException.Check(opened, $"{protection.Name} refused the datagram it sealed itself");
        FuzzFindingException.Check(buffer[..wire][range].SequenceEqual(plaintext), $"{protection.Name} opened a different payload than it sealed");
    }
}
