using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Kcptun.Cli.Hosting;

/// <summary>
/// sd_notify without libsystemd: datagrams such as <c>READY=1</c> to the unix datagram socket named by
/// <c>$NOTIFY_SOCKET</c> (a path, or <c>@name</c> for the abstract namespace). Without the variable every call does
/// nothing, so the programs behave the same outside systemd. <c>$WATCHDOG_USEC</c> (honoured only when
/// <c>$WATCHDOG_PID</c> is unset or ours) sets the interval of <see cref="RunWatchdogAsync"/>: half of it, as
/// sd_watchdog_enabled(3) advises. A failed send is ignored: the service manager going away must not stop the tunnel.
/// </summary>
internal sealed class SystemdNotifier : IDisposable
{
    private readonly Socket? _socket;
    private readonly UnixDomainSocketEndPoint? _target;

    private SystemdNotifier(Socket? socket, UnixDomainSocketEndPoint? target, TimeSpan? watchdogInterval)
    {
        _socket = socket;
        _target = target;
        WatchdogInterval = watchdogInterval;
    }

    /// <summary>Half of <c>$WATCHDOG_USEC</c> when systemd wants keep-alives from this process, else null.</summary>
    public TimeSpan? WatchdogInterval { get; }

    /// <summary>Whether <c>$NOTIFY_SOCKET</c> was set and usable.</summary>
    public bool Enabled => _socket is not null;

    /// <summary>Reads the environment; never throws (a bad variable leaves the notifier off).</summary>
    public static SystemdNotifier FromEnvironment(Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var path = environment("NOTIFY_SOCKET");
        if (string.IsNullOrEmpty(path) || !(path[0] is '/' or '@') || !OperatingSystem.IsLinux())
        {
            return new SystemdNotifier(null, null, null);
        }

        TimeSpan? interval = null;
        var pid = environment("WATCHDOG_PID");
        var forUs = string.IsNullOrEmpty(pid) || pid == Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        if (forUs && ulong.TryParse(environment("WATCHDOG_USEC"), NumberStyles.None, CultureInfo.InvariantCulture, out var usec) && usec > 0)
        {
            interval = TimeSpan.FromMicroseconds(usec / 2);
        }

        try
        {
            // An abstract address starts with a NUL byte where systemd writes '@'.
            var target = new UnixDomainSocketEndPoint(path[0] == '@' ? "\0" + path[1..] : path);
            return new SystemdNotifier(new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified), target, interval);
        }
        catch (Exception e) when (e is SocketException or ArgumentException or PlatformNotSupportedException)
        {
            return new SystemdNotifier(null, null, null);
        }
    }

    /// <summary>Sends one state message, e.g. <c>READY=1\nSTATUS=...</c>.</summary>
    public void Notify(string state)
    {
        if (_socket is null)
        {
            return;
        }

        try
        {
            _socket.SendTo(Encoding.UTF8.GetBytes(state), SocketFlags.None, _target!);
        }
        catch (SocketException)
        {
            // No listener (systemd gone, socket removed): nothing to tell.
        }
    }

    /// <summary>Sends <c>WATCHDOG=1</c> every <see cref="WatchdogInterval"/> until cancelled; returns at once when off.</summary>
    public async Task RunWatchdogAsync(TimeProvider time, CancellationToken cancellationToken)
    {
        if (_socket is null || WatchdogInterval is not { } interval)
        {
            return;
        }

        using var timer = new PeriodicTimer(interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                Notify("WATCHDOG=1");
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Shutdown.
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _socket?.Dispose();
}
