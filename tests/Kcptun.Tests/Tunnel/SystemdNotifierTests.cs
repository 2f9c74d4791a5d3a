using System.Net.Sockets;
using System.Text;
using Kcptun.Cli.Hosting;
using Kcptun.Tests.Support;

namespace Kcptun.Tests.Tunnel;

/// <summary>sd_notify against a unix datagram socket the test binds (a path, and the abstract namespace).</summary>
public sealed class SystemdNotifierTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("kcptun-notify-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task The_server_says_ready_once_listening_and_stopping_on_shutdown()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        var path = Path.Combine(_directory, "notify");
        using var socket = Bind(path);
        using var stop = new CancellationTokenSource();
        var log = TextWriter.Synchronized(new StringWriter());
        var listening = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var environment = new Dictionary<string, string> { ["NOTIFY_SOCKET"] = path };
        var exit = ServerProgram.RunAsync(
            ["-l", "127.0.0.1:0", "-t", "127.0.0.1:1", "--crypt", "none"],
            new ProgramContext { Out = log, Error = log, Environment = ProgramRunner.Environment(environment), HandleSignals = false, Shutdown = stop.Token, Listening = a => listening.TrySetResult(a) });
        var address = await listening.Task.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal($"READY=1\nSTATUS=listening on {address}", await ReceiveAsync(socket));
        await stop.CancelAsync();
        Assert.Equal("STOPPING=1", await ReceiveAsync(socket));
        Assert.Equal(ExitCodes.Success, await exit.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task An_abstract_socket_name_starting_with_at_is_used()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        var name = "kcptun-test-" + Guid.NewGuid().ToString("N");
        using var socket = Bind("\0" + name);
        using var notifier = SystemdNotifier.FromEnvironment(n => n == "NOTIFY_SOCKET" ? "@" + name : null);
        Assert.True(notifier.Enabled);
        Assert.Null(notifier.WatchdogInterval);
        notifier.Notify("READY=1");
        Assert.Equal("READY=1", await ReceiveAsync(socket));
    }

    [Fact]
    public async Task The_watchdog_pings_at_half_the_interval_systemd_asks_for()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        var path = Path.Combine(_directory, "watchdog");
        using var socket = Bind(path);
        var environment = new Dictionary<string, string> { ["NOTIFY_SOCKET"] = path, ["WATCHDOG_USEC"] = "3000000", ["WATCHDOG_PID"] = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        using var notifier = SystemdNotifier.FromEnvironment(ProgramRunner.Environment(environment));
        Assert.Equal(TimeSpan.FromSeconds(1.5), notifier.WatchdogInterval);
        var time = new TestTimeProvider();
        using var stop = new CancellationTokenSource();
        var watchdog = notifier.RunWatchdogAsync(time, stop.Token);

        time.Advance(TimeSpan.FromSeconds(1.4));
        Assert.Equal(0, socket.Available);
        time.Advance(TimeSpan.FromSeconds(0.1));
        Assert.Equal("WATCHDOG=1", await ReceiveAsync(socket));
        time.Advance(TimeSpan.FromSeconds(1.5));
        Assert.Equal("WATCHDOG=1", await ReceiveAsync(socket));
        await stop.CancelAsync();
        await watchdog.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Theory]
    [InlineData(null, "1000000", "1", false)] // no socket: off
    [InlineData("relative/path", "1000000", "", false)] // systemd only sends absolute paths or @names
    [InlineData("/run/x", "1000000", "1", true)] // the watchdog is for another process (WATCHDOG_PID)
    [InlineData("/run/x", "not-a-number", "", true)]
    public void Bad_or_foreign_settings_turn_the_watchdog_off(string? socket, string usec, string pid, bool enabled)
    {
        var environment = new Dictionary<string, string> { ["WATCHDOG_USEC"] = usec, ["WATCHDOG_PID"] = pid };
        if (socket is not null)
        {
            environment["NOTIFY_SOCKET"] = socket;
        }

        using var notifier = SystemdNotifier.FromEnvironment(ProgramRunner.Environment(environment));
        Assert.Equal(enabled && OperatingSystem.IsLinux(), notifier.Enabled);
        Assert.Null(notifier.WatchdogInterval);
        notifier.Notify("READY=1"); // nobody listens at /run/x: ignored, no exception
    }

    private static Socket Bind(string path)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(path));
        return socket;
    }

    private static async Task<string> ReceiveAsync(Socket socket)
    {
        var buffer = new byte[4096];
        var read = await socket.ReceiveAsync(buffer.AsMemory(), SocketFlags.None).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        return Encoding.UTF8.GetString(buffer, 0, read);
    }
}
