using System.Text;
using System.Text.Json;
using Kcptun.Crypto;

namespace Kcptun.Fuzz;

/// <summary>
/// Builds the seed corpora (fuzz/corpus/TARGET/) from the spec's vectors and captures plus hand-made examples, in
/// each target's input layout. The files are committed; this only documents and repeats how they were made:
/// <c>Kcptun.Fuzz seeds ../shared/spec/vectors fuzz/corpus</c>.
/// </summary>
internal static class SeedCorpus
{
    public static void Write(string vectors, string output)
    {
        var seeds = new Dictionary<string, Dictionary<string, byte[]>>();
        void Add(string target, string name, IEnumerable<byte> bytes)
        {
            if (!seeds.TryGetValue(target, out var files))
            {
                seeds[target] = files = [];
            }

            files[name] = [.. bytes];
        }

        JsonElement Load(string file) => JsonDocument.Parse(File.ReadAllBytes(Path.Combine(vectors, file))).RootElement;
        byte[] Hex(JsonElement e) => Convert.FromHexString(e.GetString()!);
        byte[] Records(IEnumerable<byte[]> records)
        {
            var list = new List<byte>();
            foreach (var record in records)
            {
                FuzzInput.AppendRecord(list, record);
            }

            return [.. list];
        }

        // protection: [cipher][mode][flip][bytes]. Wire datagrams of every cipher (they open with key "testkey"),
        // and their KCP bytes as round-trip payloads, plain and with a flipped bit.
        var names = PacketProtection.Names(WireGeneration.Latest).ToList();
        foreach (var d in Load("datagrams.json").GetProperty("datagrams").EnumerateArray())
        {
            var crypt = d.GetProperty("crypt").GetString()!;
            var selector = (byte)names.IndexOf(crypt);
            var name = d.GetProperty("name").GetString()!;
            Add("protection", $"open-{name}", [selector, 0, 0, .. Hex(d.GetProperty("datagram_on_wire_hex"))]);
            Add("protection", $"seal-{name}", [selector, 1, 0, .. Hex(d.GetProperty("kcp_bytes_hex"))]);
            Add("protection", $"flip-{name}", [selector, 3, 5, .. Hex(d.GetProperty("kcp_bytes_hex"))]);
        }

        var latest = Load("latest_aead_null.json");
        var gcm = (byte)names.IndexOf("aes-128-gcm");
        var nul = (byte)names.IndexOf("null");
        int n = 0;
        foreach (var d in latest.GetProperty("aes_128_gcm").EnumerateArray())
        {
            Add("protection", $"open-gcm-{n}", [gcm, 0, 0, .. Hex(d.GetProperty("datagram_on_wire_hex"))]);
            Add("protection", $"flip-gcm-{n++}", [gcm, 3, 9, .. Hex(d.GetProperty("kcp_bytes_hex"))]);
        }

        Add("protection", "open-null-fec", [nul, 0, 0, .. Hex(latest.GetProperty("null_with_fec_datagram_hex"))]);
        Add("protection", "seal-null", [nul, 1, 0, .. Hex(latest.GetProperty("null_without_fec_datagram_hex"))]);
        Add("protection", "open-short", [0, 0, 0, 1, 2, 3]);

        // fec: [D - 1][P - 1] then records [clock step][FEC packet]. The encoder group (D=3, P=2) whole, and with the lost
        // data packet the decoder example recovers; the Debian capture's packets (D=10, P=3).
        var group = Load("fec_group.json");
        var packets = group.GetProperty("packets").EnumerateArray().Select(p => Hex(p.GetProperty("datagram_hex"))[20..]).ToList();
        Add("fec", "group-3-2", [2, 1, .. Records(packets.Select(p => (byte[])[1, .. p]))]);
        Add("fec", "group-3-2-lost-1", [2, 1, .. Records(packets.Where((_, i) => i != 1).Select(p => (byte[])[0, .. p]))]);
        var debian = Load("trace_debian_none_nocomp.json").GetProperty("datagrams").EnumerateArray().ToList();
        Add("fec", "capture-10-3", [9, 2, .. Records(debian.Where(IsFec).Select(d => (byte[])[0, .. Hex(d.GetProperty("datagram_hex"))[20..]]))]);

        // kcp: [settings] then records [operation][bytes]. Every segment of the vectors (conversation 0x12345678)
        // as input, between flushes and sends.
        var segments = Load("kcp_segments.json").GetProperty("segments").EnumerateArray()
            .Select(s => Hex(s.GetProperty("segment").GetProperty("encoded_hex"))).ToList();
        int k = 0;
        foreach (var segment in segments)
        {
            Add("kcp", $"segment-{k++}", [0, .. Records([[0, .. segment], [2, 10]])]);
        }

        Add("kcp", "all-segments-message-mode", [1, .. Records(segments.Select(s => (byte[])[0, .. s]))]);
        Add("kcp", "send-input-flush", [0x42, .. Records([[3, .. "hello world"u8], [2, 5], [0, .. segments[1]], [1, .. segments[0]], [2, 200]])]);

        // datagram: [settings] then one record per datagram: the latest null capture (FEC 10/3) and the Debian none
        // capture with its 20-byte nonce + CRC header cut off, each direction as the server receives it.
        foreach (var (file, name) in new[] { ("trace_latest_null_nocomp_smux2.json", "latest-null"), ("trace_debian_none_nocomp.json", "debian-none") })
        {
            var datagrams = Load(file).GetProperty("datagrams").EnumerateArray().ToList();
            int cut = name == "debian-none" ? 20 : 0;
            foreach (var direction in new[] { "client->server", "server->client" })
            {
                var records = datagrams.Where(d => d.GetProperty("dir").GetString() == direction).Select(d => Hex(d.GetProperty("datagram_hex"))[cut..]);
                Add("datagram", $"{name}-{direction.Replace("->", "-to-", StringComparison.Ordinal)}", [1, .. Records(records)]);
            }
        }

        Add("datagram", "no-fec-push", [0, .. Records([Hex(latest.GetProperty("null_without_fec_datagram_hex")), segments[1]])]);

        // smux1, smux2: [settings] then the peer's bytes: the client's frames to a server, the server's frames to a
        // client that opened stream 3.
        foreach (var version in new[] { 1, 2 })
        {
            var steps = Load($"smux_v{version}.json").GetProperty("steps").EnumerateArray().ToList();
            var toServer = Frames(steps, "client_to_server");
            var toClient = Frames(steps, "server_to_client");
            Add($"smux{version}", "client-frames", [0xF4, .. toServer]);
            Add($"smux{version}", "client-frames-small-budget-bytewise", [0x0C, .. toServer]);
            Add($"smux{version}", "server-frames", [0xF3, .. toClient]);
            Add($"smux{version}", "server-frames-cut-7", [0x47, .. toClient]);
            Add("session", $"smux{version}-raw", [15, .. toServer]);
        }

        // snappy: [settings] then the stream kcptun's compression layer writes for SYN, PSH, PSH 300 x 'A', FIN.
        var snappy = Hex(Load("snappy_framing.json").GetProperty("concatenated_stream_hex"));
        Add("snappy", "kcptun-stream", [0xFF, .. snappy]);
        Add("snappy", "kcptun-stream-async-small", [0x07, .. snappy]);
        Add("session", "snappy-smux1", [15, .. snappy]);
        Add("session", "snappy-smux1-cut-5", [3, .. snappy]);

        // json, argv, sip003: [program: 0 client, 1 server] then the text.
        Add("json", "client", [0, .. """{"localaddr":":12948","remoteaddr":"vps:29900","key":"it's a secrect","crypt":"aes","mode":"fast","conn":1,"autoexpire":0,"scavengettl":600,"mtu":1350,"sndwnd":128,"rcvwnd":512,"datashard":10,"parityshard":3,"dscp":0,"nocomp":false,"acknodelay":false,"nodelay":0,"interval":50,"resend":0,"nc":0,"sockbuf":4194304,"smuxver":1,"smuxbuf":4194304,"streambuf":2097152,"keepalive":10,"snmplog":"","snmpperiod":60,"log":"","quiet":false,"tcp":false}"""u8.ToArray()]);
        Add("json", "server", [1, .. """{"listen":":29900","target":"127.0.0.1:12948","key":"it's a secrect","crypt":"aes-128-gcm","mode":"fast3","mtu":1400,"datashard":0,"parityshard":0,"smuxver":2,"qpp":true,"qpp-count":61,"closewait":30,"ratelimit":-1}"""u8.ToArray()]);
        Add("json", "nested-unknown", [0, .. "{\"unknown\":{\"a\":[1,2,{\"b\":null}]},\"KEY\":\"x\",\"conn\":null}"u8.ToArray()]);
        Add("argv", "client", [0, .. "-r\n127.0.0.1:4000\n-l\n:8388\n--mode=fast2\n--crypt\nsalsa20\n--conn\n2\n--nocomp\n--smuxver\n1"u8.ToArray()]);
        Add("argv", "server", [1, .. "-t\n127.0.0.1:8388\n-l\n:4000\n-mode\nmanual\n-nodelay\n1\n-interval\n20\n-resend\n2\n-nc\n1\n-QPP\n-QPPCount=13\n--tcp=false"u8.ToArray()]);
        Add("argv", "help", [0, .. "--\nhelp"u8.ToArray()]);
        Add("sip003", "client", [0, .. "127.0.0.1\n4000\n127.0.0.1\n8388\nmode=fast2;crypt=aes-128;key=a\\;b;nocomp\nsecret"u8.ToArray()]);
        Add("sip003", "server", [1, .. "0.0.0.0\n29900\n127.0.0.1\n12948\nsmuxver=2;QPPCount=7;qpp;ratelimit=100"u8.ToArray()]);

        foreach (var (target, files) in seeds)
        {
            var folder = Path.Combine(output, target);
            Directory.CreateDirectory(folder);
            foreach (var (name, bytes) in files)
            {
                File.WriteAllBytes(Path.Combine(folder, name), bytes);
            }
        }

        static bool IsFec(JsonElement d) => d.TryGetProperty("fec_flag", out var flag) && flag.GetString() is "0x00f1" or "0x00f2";
    }

    private static byte[] Frames(List<JsonElement> steps, string direction)
    {
        var bytes = new List<byte>();
        foreach (var step in steps)
        {
            if (!step.TryGetProperty(direction, out var frames) || frames.ValueKind != JsonValueKind.Array)
            {
                continue;
            }

            // Frames the trace gives as a header only (payloads over 64 bytes) are left out: seeds stay small.
            foreach (var frame in frames.EnumerateArray())
            {
                if (frame.TryGetProperty("frame_hex", out var full))
                {
                    bytes.AddRange(Convert.FromHexString(full.GetString()!));
                }
            }
        }

        return [.. bytes];
    }
}
