using BenchmarkDotNet.Attributes;
using Kcptun.Smux;

namespace Kcptun.Benchmarks.Smux;

/// <summary>
/// smux over an in-memory duplex pipe: 8 MiB per operation split over 1 or 8 streams, written in 4096-byte writes
/// (what Debian kcptun's TCP copy produces, one PSH frame each). Results are per frame: multiply by 4096 for bytes.
/// </summary>
[MemoryDiagnoser]
public class SmuxThroughputBenchmarks
{
    private const int TotalBytes = 8 << 20;
    private const int WriteSize = 4096;
    private const int Frames = TotalBytes / WriteSize;

    private readonly byte[] _payload = new byte[WriteSize];
    private SmuxSession _client = null!;
    private SmuxSession _server = null!;
    private SmuxStream[] _writers = [];
    private SmuxStream[] _readers = [];
    private byte[][] _readBuffers = [];

    [Params(1, 8)]
    public int Streams { get; set; }

    [Params(1, 2)]
    public int Version { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var config = new SmuxConfig { Version = Version, KeepAliveDisabled = true, MaxStreamBuffer = 2097152 };
        var (client, server) = InMemoryDuplex.Connect();
        _client = new SmuxSession(client, config, isClient: true);
        _server = new SmuxSession(server, config, isClient: false);
        _writers = new SmuxStream[Streams];
        _readers = new SmuxStream[Streams];
        _readBuffers = new byte[Streams][];
        for (var i = 0; i < Streams; i++)
        {
            _writers[i] = _client.OpenStreamAsync().AsTask().GetAwaiter().GetResult();
            _readers[i] = _server.AcceptStreamAsync().AsTask().GetAwaiter().GetResult();
            _readBuffers[i] = new byte[65536];
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _client.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _server.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [Benchmark(OperationsPerInvoke = Frames)]
    public Task Transfer()
    {
        var tasks = new Task[2 * Streams];
        var perStream = TotalBytes / Streams;
        for (var i = 0; i < Streams; i++)
        {
            tasks[i] = WriteAsync(_writers[i], perStream);
            tasks[Streams + i] = ReadAsync(_readers[i], _readBuffers[i], perStream);
        }

        return Task.WhenAll(tasks);
    }

    private async Task WriteAsync(SmuxStream stream, int count)
    {
        for (var sent = 0; sent < count; sent += WriteSize)
        {
            await stream.WriteAsync(_payload).ConfigureAwait(false);
        }
    }

    private static async Task ReadAsync(SmuxStream stream, byte[] buffer, int count)
    {
        while (count > 0)
        {
            count -= await stream.ReadAsync(buffer.AsMemory(0, Math.Min(buffer.Length, count))).ConfigureAwait(false);
        }
    }
}
