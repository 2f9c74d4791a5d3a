using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace Kcptun.Tests.Support;

/// <summary>
/// A tunnel's target: a loopback TCP echo service (port 0) that also records the SHA-256 of everything each
/// connection sent, so a test can check what crossed the tunnel, not only what came back. Shared by both test
/// projects (compiled into each from tests/Shared).
/// </summary>
internal sealed class EchoTarget : LoopbackTarget
{
    private long _bytes;

    public EchoTarget() => Start();

    /// <summary>SHA-256 (hex) of the bytes each finished connection received.</summary>
    public ConcurrentBag<string> Received { get; } = [];

    /// <summary>Bytes received on all connections so far.</summary>
    public long BytesReceived => Interlocked.Read(ref _bytes);

    protected override async Task ServeAsync(Socket socket, CancellationToken stop)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await using var stream = new NetworkStream(socket, ownsSocket: true);
        var buffer = new byte[32768];
        try
        {
            while (true)
            {
                var n = await stream.ReadAsync(buffer, stop);
                if (n == 0)
                {
                    break;
                }

                Interlocked.Add(ref _bytes, n);
                hash.AppendData(buffer, 0, n);
                await stream.WriteAsync(buffer.AsMemory(0, n), stop);
            }
        }
        catch (Exception)
        {
            return;
        }

        Received.Add(Convert.ToHexStringLower(hash.GetHashAndReset()));
    }
}
