using Kcptun.Compression;
using Kcptun.Smux;
using Kcptun.Tunnel;

namespace Kcptun.Fuzz.Targets;

/// <summary>
/// What our server does with the first bytes of a new session (<see cref="SessionSniffer"/>, as
/// <c>TunnelServer</c> calls it): detect snappy or not and the smux version, then run smux over the result, as the
/// server, with the settings kcptun passes. Input: <c>[bytes per read]</c> then the session's byte stream. A refused
/// start (InvalidDataException, EndOfStreamException) is clean; so is a snappy error under smux.
/// </summary>
internal static class SessionTarget
{
    public static void Run(ReadOnlySpan<byte> data)
    {
        var input = new FuzzInput(data);
        var readSize = SmuxTarget.ReadSize(input.Byte() & 15);
        var connection = new InputStream(input.Rest.ToArray(), readSize);
        SniffedSession sniffed;
        try
        {
            sniffed = FuzzBudget.Wait(
                SessionSniffer.DetectAsync(connection, noCompression: null, smuxVersion: null, s => new SnappyFramingStream(s), CancellationToken.None),
                "SessionSniffer.DetectAsync");
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException)
        {
            return;
        }

        var config = new SmuxConfig
        {
            Version = sniffed.SmuxVersion,
            KeepAliveDisabled = true,
            MaxReceiveBuffer = 4194304,
            MaxStreamBuffer = 2097152,
        };
        SmuxRunner.Run(sniffed.Stream, config, isClient: false, openLocal: false, echo: true, e => e is InvalidDataException);
    }
}
