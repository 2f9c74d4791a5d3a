using System.Text.Json;
using Kcptun.Smux;
using Kcptun.Tests.Support;

namespace Kcptun.Tests.Smux;

/// <summary>
/// We end a session on a SYN, FIN or NOP with a non-zero length or an UPD whose length is not 8, as smux 1.5.57
/// (Go 20260314) does (docs/protocol/smux.md §8.2). Real Go peers of every generation send exactly those lengths, so the check
/// cannot cut off a 20210922 peer: shown here on the captured frames, which our session also accepts whole.
/// </summary>
public class SmuxFrameLengthCaptureTests
{
    [Theory]
    [InlineData("smux_v1.json")]
    [InlineData("smux_v2.json")]
    public void Debian_smux_traces_send_exact_control_lengths(string file)
    {
        using var doc = Vectors.Load(file);
        var frames = new List<SmuxFrameHeader>();
        foreach (var step in doc.RootElement.GetProperty("steps").EnumerateArray())
        {
            foreach (var direction in new[] { "client_to_server", "server_to_client" })
            {
                if (step.GetProperty(direction).ValueKind == JsonValueKind.Array)
                {
                    frames.AddRange(step.GetProperty(direction).EnumerateArray().Select(HeaderOf));
                }
            }
        }

        frames.AddRange(doc.RootElement.GetProperty("keepalive_first_frame_client_to_server").EnumerateArray().Select(HeaderOf));

        AssertExactLengths(frames);
        Assert.Contains(frames, f => f.Command == SmuxCommand.Fin);
        Assert.Contains(frames, f => f.Command == SmuxCommand.Nop);
    }

    [Theory]
    [InlineData("trace_debian_none_nocomp.json", 1)]
    [InlineData("trace_latest_null_nocomp_smux2.json", 2)]
    public async Task Captured_kcptun_streams_have_exact_control_lengths_and_our_session_accepts_them(string file, int version)
    {
        using var doc = Vectors.Load(file);
        var clientToServer = StreamOf(doc, "client->server");
        var serverToClient = StreamOf(doc, "server->client");
        var frames = SmuxFrames.Parse(clientToServer).Concat(SmuxFrames.Parse(serverToClient)).Select(f => f.Header).ToList();
        AssertExactLengths(frames);
        Assert.Contains(frames, f => f.Command == SmuxCommand.Syn);
        Assert.Contains(frames, f => f.Command == SmuxCommand.Fin);

        // What the Go client sent, fed to our server session: accepted, nothing ends the session.
        var (ours, raw) = DuplexPipeStream.CreatePair();
        await using var server = new SmuxSession(ours, new SmuxConfig { Version = version, KeepAliveDisabled = true }, isClient: false);
        await raw.WriteAsync(clientToServer);
        var stream = await server.AcceptStreamAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        var data = new MemoryStream();
        await stream.CopyToAsync(data).WaitAsync(TimeSpan.FromSeconds(10)); // until the client's FIN
        Assert.True(data.Length > 0);
        Assert.False(server.IsClosed);
    }

    // Large frames are recorded as fields only: ver, "cmd": "2 (PSH)", length, sid.
    private static SmuxFrameHeader HeaderOf(JsonElement frame) => new(
        frame.GetProperty("ver").GetByte(),
        (SmuxCommand)byte.Parse(frame.GetProperty("cmd").GetString()!.Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture),
        frame.GetProperty("length").GetUInt16(),
        frame.GetProperty("sid").GetUInt32());

    private static void AssertExactLengths(List<SmuxFrameHeader> frames)
    {
        foreach (var f in frames)
        {
            switch (f.Command)
            {
                case SmuxCommand.Syn or SmuxCommand.Fin or SmuxCommand.Nop:
                    Assert.Equal(0, f.Length);
                    break;
                case SmuxCommand.Update:
                    Assert.Equal(SmuxFrameHeader.UpdatePayloadSize, f.Length);
                    break;
            }
        }
    }

    // The KCP payload one direction carried, in sequence order (these captures have no loss and no snappy).
    private static byte[] StreamOf(JsonDocument doc, string direction)
    {
        var segments = new SortedDictionary<uint, byte[]>();
        foreach (var datagram in doc.RootElement.GetProperty("datagrams").EnumerateArray())
        {
            if (datagram.GetProperty("dir").GetString() != direction)
            {
                continue;
            }

            foreach (var segment in datagram.GetProperty("segments").EnumerateArray())
            {
                if (segment.GetProperty("cmd").GetString()!.Contains("PUSH", StringComparison.Ordinal))
                {
                    segments[segment.GetProperty("sn").GetUInt32()] = Vectors.Hex(segment.GetProperty("data_hex").GetString()!);
                }
            }
        }

        return [.. segments.Values.SelectMany(s => s)];
    }
}
