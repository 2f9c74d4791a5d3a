using System.Text;
using Kcptun.Cli.Hosting;
using Xunit.Abstractions;

namespace Kcptun.Tests.Tunnel;

/// <summary>
/// Seeded mutation of real config files (docs/protocol/cli.md §5.3's examples) run through the programs' configuration step and the
/// pure construction that follows it: whatever the bytes, the result is an exit code and a message, never an
/// exception (issue 16: invalid UTF-8, lone surrogates and "conn": 2147483647 used to crash the client).
/// </summary>
public sealed class ConfigMutationTests(ITestOutputHelper output) : IDisposable
{
    private const int Mutants = 3000;

    private static readonly string s_client = """
        {
            "localaddr": "127.0.0.1:0",
            "remoteaddr": "127.0.0.1:29900",
            "key": "PASSWORD",
            "crypt": "aes-128",
            "mode": "fast3",
            "conn": 2,
            "autoexpire": 60,
            "scavengettl": 600,
            "mtu": 1400,
            "sndwnd": 128,
            "rcvwnd": 1024,
            "datashard": 10,
            "parityshard": 3,
            "dscp": 46,
            "nocomp": true,
            "acknodelay": false,
            "nodelay": 1,
            "interval": 40,
            "resend": 2,
            "nc": 1,
            "sockbuf": 16777217,
            "smuxver": 1,
            "smuxbuf": 16777217,
            "streambuf": 2097152,
            "framesize": 8192,
            "keepalive": 10,
            "snmpperiod": 60,
            "ratelimit": 0,
            "closewait": 0,
            "qpp": false,
            "qpp-count": 61,
            "quiet": false,
            "tcp": false
        }
        """;

    private static readonly string s_server = """
        {
            "listen": "127.0.0.1:0",
            "target": "127.0.0.1:9999",
            "key": "PASSWORD",
            "crypt": "aes-128",
            "mode": "fast3",
            "mtu": 1400,
            "sndwnd": 2048,
            "rcvwnd": 2048,
            "datashard": 10,
            "parityshard": 3,
            "dscp": 46,
            "nocomp": true,
            "sockbuf": 16777217,
            "smuxver": 1,
            "smuxbuf": 16777217,
            "streambuf": 2097152,
            "keepalive": 10,
            "snmpperiod": 60,
            "closewait": 30,
            "qpp": false,
            "qpp-count": 61,
            "pprof": false,
            "quiet": false,
            "tcp": false
        }
        """;

    // Values that have broken parsers or allocations somewhere: limits of every integer width, non-integers,
    // escapes that are not UTF-16, invalid UTF-8, deep nesting, wrong types.
    private static readonly string[] s_tokens =
    [
        "2147483647", "2147483648", "-2147483648", "-2147483649", "4294967295", "9223372036854775807",
        "99999999999999999999999", "-1", "0", "1e9", "1.5", "-0", "0x10", "\"\\ud800\"", "\"\\udc00x\"",
        "\"\\u0000\"", "\"a\\ud800b\"", "null", "true", "[]", "{}", "\"\"", new string('[', 200), "\"x\"",
        "65535", "65536", "256", "1501", "30", "31", "\"" + new string('k', 5000) + "\"",
    ];

    private static readonly byte[][] s_bytes =
    [
        [0xFF], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82], [0x80], [0xEF, 0xBB, 0xBF],
        [0x00], "\\"u8.ToArray(), "\""u8.ToArray(), ","u8.ToArray(), "}"u8.ToArray(), "{"u8.ToArray(),
    ];

    private readonly string _directory = Directory.CreateTempSubdirectory("kcptun-mutants-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task No_mutated_client_config_escapes_as_an_exception()
    {
        var failures = await RunAsync(s_client, seed: 16, async (path, context) =>
        {
            var (exit, options) = await ClientProgram.ConfigureAsync(["-c", path], context);
            if (exit is null)
            {
                RuntimeChecks.Client(options);
            }

            return exit;
        });
        Assert.Empty(failures);
    }

    [Fact]
    public async Task No_mutated_server_config_escapes_as_an_exception()
    {
        var failures = await RunAsync(s_server, seed: 61, async (path, context) =>
        {
            var (exit, options) = await ServerProgram.ConfigureAsync(["-c", path], context);
            if (exit is null)
            {
                RuntimeChecks.Server(options);
            }

            return exit;
        });
        Assert.Empty(failures);
    }

    private async Task<List<string>> RunAsync(string baseConfig, int seed, Func<string, ProgramContext, Task<int?>> run)
    {
        var random = new Random(seed);
        var original = Encoding.UTF8.GetBytes(baseConfig);
        var failures = new List<string>();
        var outcomes = new Dictionary<string, int>();
        for (var i = 0; i < Mutants; i++)
        {
            var mutant = Mutate(original, random);
            var path = Path.Combine(_directory, $"m{i}.json");
            await File.WriteAllBytesAsync(path, mutant);
            var error = new StringWriter();
            var context = new ProgramContext { Out = TextWriter.Null, Error = error, Environment = _ => null, HandleSignals = false };
            try
            {
                var exit = await run(path, context);
                var key = exit?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "run";
                outcomes[key] = outcomes.GetValueOrDefault(key) + 1;
                if (exit is { } code && code != ExitCodes.Success)
                {
                    // A refusal names the file or the flag, in one line per problem.
                    var text = error.ToString();
                    Assert.True(text.Contains(path, StringComparison.Ordinal) || text.Contains("--", StringComparison.Ordinal), text);
                }
            }
#pragma warning disable CA1031 // the point of the test: anything that escapes is a finding
            catch (Exception e)
#pragma warning restore CA1031
            {
                failures.Add($"mutant {i} ({Convert.ToHexString(mutant.AsSpan(0, Math.Min(mutant.Length, 64)))}...): {e.GetType().Name}: {e.Message}");
            }

            File.Delete(path);
        }

        output.WriteLine($"{Mutants} mutants: {string.Join(", ", outcomes.OrderBy(o => o.Key).Select(o => $"{o.Key}: {o.Value}"))}, exceptions: {failures.Count}");
        foreach (var kind in failures.GroupBy(f => f[(f.IndexOf("): ", StringComparison.Ordinal) + 3)..]))
        {
            output.WriteLine($"{kind.Count()} x {kind.Key}; first: {kind.First()[..Math.Min(kind.First().Length, 300)]}");
        }

        return failures;
    }

    private static byte[] Mutate(byte[] original, Random random)
    {
        var bytes = new List<byte>(original);
        var edits = 1 + random.Next(3);
        for (var e = 0; e < edits; e++)
        {
            var at = random.Next(bytes.Count + 1);
            switch (random.Next(7))
            {
                case 0: // flip bits of one byte
                    if (at < bytes.Count)
                    {
                        bytes[at] ^= (byte)(1 << random.Next(8));
                    }

                    break;
                case 1: // insert a troublesome byte sequence
                    bytes.InsertRange(at, s_bytes[random.Next(s_bytes.Length)]);
                    break;
                case 2: // delete a range
                    var length = Math.Min(random.Next(1, 16), bytes.Count - Math.Min(at, bytes.Count));
                    bytes.RemoveRange(Math.Min(at, bytes.Count), length);
                    break;
                case 3: // duplicate a range
                    if (at < bytes.Count)
                    {
                        var count = Math.Min(random.Next(1, 40), bytes.Count - at);
                        bytes.InsertRange(random.Next(bytes.Count + 1), bytes.GetRange(at, count));
                    }

                    break;
                default: // replace a JSON value with a troublesome token
                    ReplaceValue(bytes, random);
                    break;
            }
        }

        return [.. bytes];
    }

    // The value after the n-th ':' (up to the next ',' or '}' or newline) becomes one of the tokens.
    private static void ReplaceValue(List<byte> bytes, Random random)
    {
        var colons = new List<int>();
        for (var i = 0; i < bytes.Count; i++)
        {
            if (bytes[i] == (byte)':')
            {
                colons.Add(i);
            }
        }

        if (colons.Count == 0)
        {
            return;
        }

        var start = colons[random.Next(colons.Count)] + 1;
        var end = start;
        while (end < bytes.Count && bytes[end] is not ((byte)',' or (byte)'}' or (byte)'\n'))
        {
            end++;
        }

        bytes.RemoveRange(start, end - start);
        bytes.InsertRange(start, Encoding.UTF8.GetBytes(" " + s_tokens[random.Next(s_tokens.Length)]));
    }
}
