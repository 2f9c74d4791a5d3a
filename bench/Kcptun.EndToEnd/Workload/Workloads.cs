using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Hashing;
using System.Net;
using System.Net.Sockets;

namespace Kcptun.EndToEnd.Workload;

/// <summary>Outcome of one bulk transfer (all streams together).</summary>
/// <param name="Bytes">Payload bytes sent and verified.</param>
/// <param name="Seconds">Wall time from the first connect to the last hash.</param>
/// <param name="Error">Null when every stream's hash matched; otherwise what went wrong.</param>
public sealed record BulkResult(long Bytes, double Seconds, string? Error)
{
    /// <summary>Throughput in MB/s (10^6 bytes); NaN when the transfer failed.</summary>
    public double MegabytesPerSecond => Error is null && Seconds > 0 ? Bytes / 1e6 / Seconds : double.NaN;
}

/// <summary>Outcome of a request/response series: per-request round-trip times in milliseconds.</summary>
public sealed record LatencyResult(double[] Milliseconds, string? Error);

/// <summary>Outcome of the many-connections test.</summary>
/// <param name="Succeeded">Connections that completed their exchange.</param>
/// <param name="Seconds">Wall time for all of them.</param>
/// <param name="Milliseconds">Per connection: connect + first echo, in ms.</param>
/// <param name="Error">First failure seen, if any.</param>
public sealed record ConnectionsResult(int Succeeded, double Seconds, double[] Milliseconds, string? Error)
{
    /// <summary>Completed connections per second.</summary>
    public double PerSecond => Seconds > 0 ? Succeeded / Seconds : double.NaN;
}

/// <summary>The traffic the benchmark sends through the tunnel's local port, each bounded in bytes and time.</summary>
public static class Workloads
{
    /// <summary>Bytes per socket send of the bulk workloads.</summary>
    internal const int ChunkSize = 64 * 1024;

    /// <summary>1 MiB of seeded random bytes: incompressible (snappy's window is far shorter than the repeat distance).</summary>
    internal static readonly byte[] Payload = MakePayload();

    /// <summary>Sends <paramref name="totalBytes"/> split over <paramref name="streams"/> connections to the sink.</summary>
    public static async Task<BulkResult> BulkAsync(IPEndPoint tunnel, int streams, long totalBytes, TimeSpan limit)
    {
        ArgumentNullException.ThrowIfNull(tunnel);
        using var cts = new CancellationTokenSource(limit);
        var perStream = totalBytes / streams;
        var started = Stopwatch.GetTimestamp();
        var tasks = new Task<string?>[streams];
        for (var i = 0; i < streams; i++)
        {
            tasks[i] = SendToSinkAsync(tunnel, perStream, i * 7919, cts.Token);
        }

        string? error;
        try
        {
            var errors = await Task.WhenAll(tasks).ConfigureAwait(false);
            error = errors.FirstOrDefault(e => e is not null);
        }
        catch (OperationCanceledException)
        {
            error = $"timed out after {limit.TotalSeconds:0} s";
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            error = e.Message;
        }

        return new BulkResult(perStream * streams, Stopwatch.GetElapsedTime(started).TotalSeconds, error);
    }

    /// <summary>
    /// Downloads <paramref name="totalBytes"/> over one connection from the source service (the target sends, the
    /// client reads) and checks them against the expected bytes.
    /// </summary>
    public static async Task<BulkResult> DownloadAsync(IPEndPoint tunnel, long totalBytes, TimeSpan limit)
    {
        ArgumentNullException.ThrowIfNull(tunnel);
        using var cts = new CancellationTokenSource(limit);
        var started = Stopwatch.GetTimestamp();
        string? error;
        try
        {
            error = await ReceiveFromSourceAsync(tunnel, totalBytes, cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            error = $"timed out after {limit.TotalSeconds:0} s";
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            error = e.Message;
        }

        return new BulkResult(totalBytes, Stopwatch.GetElapsedTime(started).TotalSeconds, error);
    }

    /// <summary>Opens one connection to the echo service and times <paramref name="count"/> round trips.</summary>
    public static async Task<LatencyResult> LatencyAsync(IPEndPoint tunnel, int count, int size, TimeSpan limit)
    {
        ArgumentNullException.ThrowIfNull(tunnel);
        using var cts = new CancellationTokenSource(limit);
        var samples = new List<double>(count);
        try
        {
            using var socket = await ConnectAsync(tunnel, cts.Token).ConfigureAwait(false);
            var request = new byte[Math.Max(size, TargetServer.HeaderSize)];
            TargetServer.WriteHeader(request, TargetServer.Echo, 0);
            await socket.SendAsync(request.AsMemory(0, TargetServer.HeaderSize), SocketFlags.None, cts.Token).ConfigureAwait(false);
            var response = new byte[size];
            for (var i = -3; i < count; i++)
            {
                Payload.AsSpan(i & 0xffff, size).CopyTo(request);
                var t0 = Stopwatch.GetTimestamp();
                await socket.SendAsync(request.AsMemory(0, size), SocketFlags.None, cts.Token).ConfigureAwait(false);
                if (!await TargetServer.ReadExactlyAsync(socket, response, cts.Token).ConfigureAwait(false))
                {
                    return new LatencyResult([.. samples], "echo closed early");
                }

                if (!response.AsSpan().SequenceEqual(request.AsSpan(0, size)))
                {
                    return new LatencyResult([.. samples], "echo returned different bytes");
                }

                if (i >= 0)
                {
                    samples.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds); // the first 3 warm up
                }
            }

            return new LatencyResult([.. samples], null);
        }
        catch (OperationCanceledException)
        {
            return new LatencyResult([.. samples], $"timed out after {limit.TotalSeconds:0} s");
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            return new LatencyResult([.. samples], e.Message);
        }
    }

    /// <summary>Opens <paramref name="count"/> connections at once; each sends 32 bytes, awaits the echo and closes.</summary>
    public static async Task<ConnectionsResult> ConnectionsAsync(IPEndPoint tunnel, int count, TimeSpan limit)
    {
        ArgumentNullException.ThrowIfNull(tunnel);
        using var cts = new CancellationTokenSource(limit);
        var started = Stopwatch.GetTimestamp();
        var tasks = new Task<double>[count];
        for (var i = 0; i < count; i++)
        {
            tasks[i] = OneShortConnectionAsync(tunnel, i, cts.Token);
        }

        try
        {
            await Task.WhenAll(tasks).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or IOException)
        {
            // Counted below.
        }

        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var ok = tasks.Where(t => t.IsCompletedSuccessfully && !double.IsNaN(t.Result)).Select(t => t.Result).ToArray();
        var failure = tasks.FirstOrDefault(t => t.IsFaulted || t.IsCanceled);
        var error = ok.Length == count ? null
            : $"{count - ok.Length} of {count} failed: {failure?.Exception?.InnerException?.Message ?? "timeout or bad echo"}";
        return new ConnectionsResult(ok.Length, seconds, ok, error);
    }

    /// <summary>
    /// Waits until a request/response succeeds through the tunnel (the whole chain is up); gives up at once when
    /// <paramref name="gaveUp"/> says so (a tunnel program exited).
    /// </summary>
    public static async Task<bool> WaitReadyAsync(IPEndPoint tunnel, TimeSpan limit, Func<bool>? gaveUp = null)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(limit.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < deadline && gaveUp?.Invoke() != true)
        {
            var result = await LatencyAsync(tunnel, 1, 16, TimeSpan.FromSeconds(3)).ConfigureAwait(false);
            if (result.Error is null)
            {
                return true;
            }

            await Task.Delay(100).ConfigureAwait(false);
        }

        return false;
    }

    private static async Task<double> OneShortConnectionAsync(IPEndPoint tunnel, int index, CancellationToken ct)
    {
        await Task.Yield();
        var t0 = Stopwatch.GetTimestamp();
        using var socket = await ConnectAsync(tunnel, ct).ConfigureAwait(false);
        var request = new byte[TargetServer.HeaderSize + 32];
        TargetServer.WriteHeader(request, TargetServer.Echo, 0);
        Payload.AsSpan(index * 32 % (Payload.Length - 32), 32).CopyTo(request.AsSpan(TargetServer.HeaderSize));
        await socket.SendAsync(request, SocketFlags.None, ct).ConfigureAwait(false);
        var response = new byte[32];
        if (!await TargetServer.ReadExactlyAsync(socket, response, ct).ConfigureAwait(false)
            || !response.AsSpan().SequenceEqual(request.AsSpan(TargetServer.HeaderSize)))
        {
            return double.NaN;
        }

        return Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
    }

    private static async Task<string?> SendToSinkAsync(IPEndPoint tunnel, long bytes, int offset, CancellationToken ct)
    {
        using var socket = await ConnectAsync(tunnel, ct).ConfigureAwait(false);
        var header = new byte[TargetServer.HeaderSize];
        TargetServer.WriteHeader(header, TargetServer.Sink, bytes);
        await socket.SendAsync(header, SocketFlags.None, ct).ConfigureAwait(false);
        var hash = new XxHash3();
        var position = offset % Payload.Length;
        var remaining = bytes;
        while (remaining > 0)
        {
            var n = (int)Math.Min(Math.Min(ChunkSize, remaining), Payload.Length - position);
            var chunk = Payload.AsMemory(position, n);
            hash.Append(chunk.Span);
            await socket.SendAsync(chunk, SocketFlags.None, ct).ConfigureAwait(false);
            remaining -= n;
            position = (position + n) % Payload.Length;
        }

        var answer = new byte[8];
        if (!await TargetServer.ReadExactlyAsync(socket, answer, ct).ConfigureAwait(false))
        {
            return "sink closed before answering";
        }

        socket.Shutdown(SocketShutdown.Send);
        return BinaryPrimitives.ReadUInt64LittleEndian(answer) == hash.GetCurrentHashAsUInt64()
            ? null
            : "hash mismatch: the data arrived corrupted";
    }

    private static async Task<string?> ReceiveFromSourceAsync(IPEndPoint tunnel, long bytes, CancellationToken ct)
    {
        using var socket = await ConnectAsync(tunnel, ct).ConfigureAwait(false);
        var header = new byte[TargetServer.HeaderSize];
        TargetServer.WriteHeader(header, TargetServer.Source, bytes);
        await socket.SendAsync(header, SocketFlags.None, ct).ConfigureAwait(false);
        var received = new XxHash3();
        var expected = new XxHash3();
        var buffer = new byte[256 * 1024];
        var position = 0;
        for (var remaining = bytes; remaining > 0;)
        {
            var n = await socket.ReceiveAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, remaining)), SocketFlags.None, ct)
                .ConfigureAwait(false);
            if (n == 0)
            {
                return $"source closed {remaining} bytes early";
            }

            received.Append(buffer.AsSpan(0, n));
            for (var done = 0; done < n;)
            {
                var m = Math.Min(n - done, Payload.Length - position);
                expected.Append(Payload.AsSpan(position, m));
                done += m;
                position = (position + m) % Payload.Length;
            }

            remaining -= n;
        }

        socket.Shutdown(SocketShutdown.Send);
        return received.GetCurrentHashAsUInt64() == expected.GetCurrentHashAsUInt64()
            ? null
            : "hash mismatch: the data arrived corrupted";
    }

    private static async Task<Socket> ConnectAsync(IPEndPoint endPoint, CancellationToken ct)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(endPoint, ct).ConfigureAwait(false);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static byte[] MakePayload()
    {
        var payload = new byte[1 << 20];
        new Random(20210922).NextBytes(payload);
        return payload;
    }
}
