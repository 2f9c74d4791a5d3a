using System.Net.Sockets;
using Kcptun.Tunnel;

namespace Kcptun.Tests.Tunnel;

public sealed class UnixSocketTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("kcptun-unix-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Client_listens_and_server_dials_unix_socket_paths()
    {
        var path = Path.Combine(_directory, "app.sock");
        File.WriteAllText(path, "stale"); // a leftover file is replaced, as kcptun does
        using var listener = await EndpointResolver.ListenStreamAsync("--localaddr", path, CancellationToken.None);
        Assert.Equal(AddressFamily.Unix, listener.AddressFamily);

        var dialer = new TargetDialer(path);
        Assert.True(dialer.IsUnix);
        var accept = listener.AcceptAsync();
        await using var dialled = await dialer.ConnectAsync(CancellationToken.None);
        using var accepted = await accept.WaitAsync(TimeSpan.FromSeconds(10));
        await dialled.WriteAsync("ping"u8.ToArray());
        var buffer = new byte[4];
        await new NetworkStream(accepted).ReadExactlyAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("ping"u8.ToArray(), buffer);
    }

    [Fact]
    public async Task Unreachable_unix_target_reads_like_Go()
    {
        var path = Path.Combine(_directory, "missing.sock");
        var e = await Assert.ThrowsAsync<IOException>(async () => await new TargetDialer(path).ConnectAsync(CancellationToken.None));
        Assert.StartsWith($"dial unix {path}: ", e.Message, StringComparison.Ordinal);
    }
}
