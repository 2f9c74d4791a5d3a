using System.Text;
using BenchmarkDotNet.Attributes;
using Kcptun.Compression;

namespace Kcptun.Benchmarks.Smux;

/// <summary>
/// SnappyFramingStream on 1 MiB per operation, written in 4104-byte writes (a 4096-byte smux frame, as Debian kcptun
/// sends) or 65536-byte writes, on text-like or incompressible data. MB/s = 1 MiB / mean time.
/// </summary>
[MemoryDiagnoser]
public class SnappyFramingBenchmarks
{
    private const int TotalBytes = 1 << 20;

    private byte[] _data = [];
    private byte[] _encoded = [];
    private readonly byte[] _readBuffer = new byte[65536];
    private SnappyFramingStream _writer = null!;

    [Params("text", "random")]
    public string Data { get; set; } = "text";

    [Params(4104, 65536)]
    public int WriteSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _data = Data == "text" ? TextLike(TotalBytes) : RandomBytes(TotalBytes);
        _writer = new SnappyFramingStream(Stream.Null);
        var sink = new MemoryStream();
        using (var writer = new SnappyFramingStream(sink, leaveOpen: true))
        {
            Write(writer);
        }

        _encoded = sink.ToArray();
        Console.WriteLine($"// {Data} / {WriteSize}: {TotalBytes} -> {_encoded.Length} bytes on the wire");
    }

    [Benchmark]
    public void Compress() => Write(_writer);

    [Benchmark]
    public int Decompress()
    {
        using var reader = new SnappyFramingStream(new MemoryStream(_encoded, writable: false));
        var total = 0;
        int read;
        while ((read = reader.Read(_readBuffer, 0, _readBuffer.Length)) > 0)
        {
            total += read;
        }

        return total;
    }

    private void Write(Stream writer)
    {
        for (var offset = 0; offset < _data.Length; offset += WriteSize)
        {
            writer.Write(_data, offset, Math.Min(WriteSize, _data.Length - offset));
        }
    }

    private static byte[] RandomBytes(int count)
    {
        var bytes = new byte[count];
        new Random(1).NextBytes(bytes);
        return bytes;
    }

    private static byte[] TextLike(int count)
    {
        string[] words = ["the", "kcp", "tunnel", "stream", "packet", "window", "session", "GET", "/index.html", "HTTP/1.1",
            "Host:", "example.org", "Content-Length:", "200", "OK", "and", "of", "to", "a", "in", "is", "that", "data", "json"];
        var random = new Random(2);
        var text = new StringBuilder(count + 32);
        while (text.Length < count)
        {
            text.Append(words[random.Next(words.Length)]).Append(random.Next(12) == 0 ? "\r\n" : " ");
        }

        return Encoding.ASCII.GetBytes(text.ToString(0, count));
    }
}
