using System.Buffers.Binary;
using System.IO.Hashing;
using System.Net;
using System.Net.Sockets;

namespace Kcptun.EndToEnd.Workload;

/// <summary>
/// The loopback service behind the tunnel server. Each connection starts with a 9-byte request header:
/// <c>[mode:1][length:8 LE]</c>. Mode <c>S</c> (sink): read exactly <c>length</c> bytes, answer their 8-byte
/// XxHash3. Mode <c>E</c> (echo): send back everything until the peer closes. Mode <c>D</c> (download): send
/// <c>length</c> bytes of <see cref="Workloads.Payload"/> (cyclic, from offset 0), then close the sending side.
/// </summary>
public sealed class TargetServer : IAsyncDisposable
{
    /// <summary>Sink mode byte.</summary>
    public const byte Sink = (byte)'S';

    /// <summary>Echo mode byte.</summary>
    public const byte Echo = (byte)'E';

    /// <summary>Download (source) mode byte.</summary>
    public const byte Source = (byte)'D';

    /// <summary>Size of the request header.</summary>
    public const int HeaderSize = 9;

    private readonly Socket _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _acceptLoop;
    private readonly List<Task> _connections = [];
    private readonly Lock _gate = new();

    private TargetServer()
    {
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(4096);
        EndPoint = (IPEndPoint)_listener.LocalEndPoint!;
        _acceptLoop = AcceptLoopAsync();
    }

    /// <summary>Where the tunnel server should connect (<c>-t</c>).</summary>
    public IPEndPoint EndPoint { get; }

    /// <summary>Starts listening on 127.0.0.1, port chosen by the system.</summary>
    public static TargetServer Start() => new();

    /// <summary>Writes a request header.</summary>
    public static void WriteHeader(Span<byte> destination, byte mode, long length)
    {
        destination[0] = mode;
        BinaryPrimitives.WriteInt64LittleEndian(destination[1..], length);
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        Task[] connections;
        lock (_gate)
        {
            connections = [.. _connections];
        }

        try
        {
            await Task.WhenAll(connections.Append(_acceptLoop)).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or TimeoutException or SocketException or IOException)
        {
            // Shutting down: connections that were cut are expected.
        }

        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket connection;
            try
            {
                connection = await _listener.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            connection.NoDelay = true;
            var task = ServeAsync(connection);
            lock (_gate)
            {
                _connections.RemoveAll(t => t.IsCompleted);
                _connections.Add(task);
            }
        }
    }

    private async Task ServeAsync(Socket connection)
    {
        using var owned = connection;
        var buffer = new byte[256 * 1024];
        try
        {
            if (!await ReadExactlyAsync(connection, buffer.AsMemory(0, HeaderSize), _stop.Token).ConfigureAwait(false))
            {
                return;
            }

            var mode = buffer[0];
            var length = BinaryPrimitives.ReadInt64LittleEndian(buffer.AsSpan(1));
            if (mode == Sink)
            {
                var hash = new XxHash3();
                var remaining = length;
                while (remaining > 0)
                {
                    var n = await connection.ReceiveAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, remaining)),
                        SocketFlags.None, _stop.Token).ConfigureAwait(false);
                    if (n == 0)
                    {
                        return;
                    }

                    hash.Append(buffer.AsSpan(0, n));
                    remaining -= n;
                }

                BinaryPrimitives.WriteUInt64LittleEndian(buffer, hash.GetCurrentHashAsUInt64());
                await connection.SendAsync(buffer.AsMemory(0, 8), SocketFlags.None, _stop.Token).ConfigureAwait(false);
                connection.Shutdown(SocketShutdown.Send);
                // Wait for the peer to close so the hash is not cut by a reset.
                _ = await connection.ReceiveAsync(buffer.AsMemory(0, 1), SocketFlags.None, _stop.Token).ConfigureAwait(false);
            }
            else if (mode == Source)
            {
                var position = 0;
                for (var remaining = length; remaining > 0;)
                {
                    var n = (int)Math.Min(Math.Min(Workloads.ChunkSize, remaining), Workloads.Payload.Length - position);
                    await connection.SendAsync(Workloads.Payload.AsMemory(position, n), SocketFlags.None, _stop.Token)
                        .ConfigureAwait(false);
                    remaining -= n;
                    position = (position + n) % Workloads.Payload.Length;
                }

                connection.Shutdown(SocketShutdown.Send);
                // Wait for the peer to close so the last bytes are not cut by a reset.
                _ = await connection.ReceiveAsync(buffer.AsMemory(0, 1), SocketFlags.None, _stop.Token).ConfigureAwait(false);
            }
            else if (mode == Echo)
            {
                while (true)
                {
                    var n = await connection.ReceiveAsync(buffer, SocketFlags.None, _stop.Token).ConfigureAwait(false);
                    if (n == 0)
                    {
                        return;
                    }

                    await connection.SendAsync(buffer.AsMemory(0, n), SocketFlags.None, _stop.Token).ConfigureAwait(false);
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // The client side went away or we are shutting down.
        }
    }

    internal static async ValueTask<bool> ReadExactlyAsync(Socket socket, Memory<byte> buffer, CancellationToken ct)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await socket.ReceiveAsync(buffer[read..], SocketFlags.None, ct).ConfigureAwait(false);
            if (n == 0)
            {
                return false;
            }

            read += n;
        }

        return true;
    }
}
