using Kcptun.Smux;

namespace Kcptun.Fuzz.Targets;

/// <summary>
/// smux frames from a peer (PROTOCOL.md section 8), version 1 or 2. Input: <c>[settings]</c> then the byte stream the
/// peer sends. Settings bit 0: we are the client (else the server); bit 1: we open stream 3 first and write to it;
/// bit 2: the application echoes what it reads; bit 3: a small (4 KiB) receive budget, so reading pauses and resumes;
/// bits 4-7: how many bytes the connection delivers per read (1, 7, 64, ... as a network would cut them).
/// </summary>
internal static class SmuxTarget
{
    public static void RunVersion1(ReadOnlySpan<byte> data) => Run(1, data);

    public static void RunVersion2(ReadOnlySpan<byte> data) => Run(2, data);

    private static void Run(int version, ReadOnlySpan<byte> data)
    {
        var input = new FuzzInput(data);
        var settings = input.Byte();
        var budget = (settings & 8) != 0 ? 4096 : 65536;
        var config = new SmuxConfig
        {
            Version = version,
            KeepAliveDisabled = true,
            MaxReceiveBuffer = budget,
            MaxStreamBuffer = budget,
        };
        var connection = new InputStream(input.Rest.ToArray(), ReadSize(settings >> 4));
        SmuxRunner.Run(connection, config, isClient: (settings & 1) != 0, openLocal: (settings & 2) != 0, echo: (settings & 4) != 0);
    }

    /// <summary>Bytes per read for a 4-bit setting: 1, 2, 3, 5, 7, 8, 9, 16, 64, 100, 512, 1000, 1400, 4096, 65536, all.</summary>
    public static int ReadSize(int setting) =>
        setting switch
        {
            0 => 1,
            1 => 2,
            2 => 3,
            3 => 5,
            4 => 7,
            5 => 8,
            6 => 9,
            7 => 16,
            8 => 64,
            9 => 100,
            10 => 512,
            11 => 1000,
            12 => 1400,
            13 => 4096,
            14 => 65536,
            _ => int.MaxValue,
        };
}
