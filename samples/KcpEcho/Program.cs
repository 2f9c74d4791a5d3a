// KcpEcho: the Kcptun.Core library in a small program. A KCP listener and a KCP session on loopback, each carrying
// an smux session; the client opens several smux streams at once, sends random bytes on each and checks that the
// server echoes them back unchanged. Exit code 0 when every stream came back intact.
//
//   dotnet run --project samples/KcpEcho [-- STREAMS BYTES]
using System.Net;
using System.Security.Cryptography;
using Kcptun.Crypto;
using Kcptun.Smux;
using Kcptun.Transport;

int streams = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 4;
int bytes = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 256 * 1024;

// Both ends must agree on the packet protection (cipher and key), the FEC geometry and the smux version, as two
// kcptun programs must. The key derivation (PBKDF2, as kcptun's --key) is slow on purpose: do it once.
byte[] key = PacketProtection.DeriveKey("an example secret");
var kcp = new KcpSessionOptions
{
    ProtectionFactory = () => PacketProtection.Create("aes", key, WireGeneration.Latest),
    DataShards = 10,
    ParityShards = 3,
};
var smux = new SmuxConfig { Version = 2 };

// Server: accept KCP sessions, run smux over each, echo every stream it accepts.
await using KcpListener listener = KcpListener.Start(new IPEndPoint(IPAddress.Loopback, 0), kcp);
using var stopping = new CancellationTokenSource();
Task server = ServeAsync(listener, smux, stopping.Token);

// Client: one KCP session to the listener (a KcpSession is a Stream), one smux session over it, many streams.
KcpSession connection = await KcpSession.ConnectAsync(listener.LocalEndPoint, kcp);
await using (var client = new SmuxSession(connection, smux, isClient: true))
{
    bool[] results = await Task.WhenAll(Enumerable.Range(0, streams).Select(_ => EchoOnceAsync(client, bytes)));
    int failed = results.Count(ok => !ok);
    Console.WriteLine($"{streams - failed} of {streams} streams echoed {bytes} bytes each over KCP + smux ({listener.LocalEndPoint})");
    await stopping.CancelAsync();
    try { await server; } catch (OperationCanceledException) { }
    return failed == 0 ? 0 : 1;
}

static async Task<bool> EchoOnceAsync(SmuxSession session, int size)
{
    byte[] sent = RandomNumberGenerator.GetBytes(size);
    await using SmuxStream stream = await session.OpenStreamAsync();
    Task writing = stream.WriteAsync(sent).AsTask();
    byte[] received = new byte[size];
    await stream.ReadExactlyAsync(received);
    await writing;
    return sent.AsSpan().SequenceEqual(received);
}

static async Task ServeAsync(KcpListener listener, SmuxConfig config, CancellationToken cancellationToken)
{
    var sessions = new List<Task>();
    try
    {
        while (true)
        {
            KcpSession accepted = await listener.AcceptAsync(cancellationToken);
            sessions.Add(ServeSessionAsync(new SmuxSession(accepted, config, isClient: false), cancellationToken));
        }
    }
    finally
    {
        await Task.WhenAll(sessions);
    }
}

static async Task ServeSessionAsync(SmuxSession session, CancellationToken cancellationToken)
{
    await using (session)
    {
        var streams = new List<Task>();
        try
        {
            while (true)
            {
                SmuxStream stream = await session.AcceptStreamAsync(cancellationToken);
                streams.Add(EchoStreamAsync(stream, cancellationToken));
            }
        }
        catch (Exception) when (cancellationToken.IsCancellationRequested || session.IsClosed)
        {
            // Stopping, or the client went away: finish the streams already accepted.
        }

        await Task.WhenAll(streams);
    }
}

static async Task EchoStreamAsync(SmuxStream stream, CancellationToken cancellationToken)
{
    await using (stream)
    {
        try
        {
            await stream.CopyToAsync(stream, cancellationToken);
        }
        catch (Exception) when (cancellationToken.IsCancellationRequested)
        {
        }
    }
}
