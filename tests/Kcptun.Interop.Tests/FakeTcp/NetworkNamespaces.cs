using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Kcptun.Interop.Tests.FakeTcp;

/// <summary>
/// Two network namespaces joined by a veth pair, made for one test and deleted on dispose: the client side
/// (10.99.0.1, fd99::1) and the server side (10.99.0.2, fd99::2). Each has its own firewall tables, so --tcp rules
/// never touch the host's and fixed ports cannot collide. Names carry the test process id and a counter.
/// Needs root (CI runs as root) and iproute2.
/// </summary>
internal sealed partial class NetworkNamespaces : IDisposable
{
    public const string ClientIpv4 = "10.99.0.1";
    public const string ServerIpv4 = "10.99.0.2";
    public const string ClientIpv6 = "fd99::1";
    public const string ServerIpv6 = "fd99::2";

    private const int CloneNewNetwork = 0x40000000;
    private static int s_counter;

    private NetworkNamespaces(string suffix)
    {
        Client = "kftc" + suffix;
        Server = "kfts" + suffix;
    }

    public string Client { get; }

    public string Server { get; }

    /// <summary>Creates the pair (both up, addresses assigned, IPv6 without duplicate address detection).</summary>
    public static NetworkNamespaces Create()
    {
        Assert.True(Environment.UserName == "root" || geteuid() == 0, "--tcp tests need root (network namespaces, raw sockets)");
        string suffix = Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "x" +
            Interlocked.Increment(ref s_counter).ToString(CultureInfo.InvariantCulture);
        var pair = new NetworkNamespaces(suffix);
        try
        {
            string c = pair.Client, s = pair.Server, vc = "v" + c, vs = "v" + s;
            Ip("netns", "add", c);
            Ip("netns", "add", s);
            Ip("link", "add", vc, "netns", c, "type", "veth", "peer", "name", vs, "netns", s);
            Ip("-n", c, "addr", "add", ClientIpv4 + "/24", "dev", vc);
            Ip("-n", s, "addr", "add", ServerIpv4 + "/24", "dev", vs);
            Ip("-n", c, "addr", "add", ClientIpv6 + "/64", "dev", vc, "nodad");
            Ip("-n", s, "addr", "add", ServerIpv6 + "/64", "dev", vs, "nodad");
            foreach ((string ns, string dev) in new[] { (c, vc), (s, vs) })
            {
                Ip("-n", ns, "link", "set", "lo", "up");
                Ip("-n", ns, "link", "set", dev, "up");
            }
        }
        catch
        {
            pair.Dispose();
            throw;
        }

        return pair;
    }

    /// <summary>Runs <paramref name="program"/> inside <paramref name="ns"/> (ip netns exec replaces itself, so the PID is the program's).</summary>
    public static string[] Exec(string ns, string program, params string[] arguments) => ["netns", "exec", ns, program, .. arguments];

    /// <summary>Our --tcp rules (tagged kcptun-dotnet) in <paramref name="ns"/>, both families.</summary>
    public static List<string> OurRules(string ns) =>
        [.. Rules(ns, "iptables").Concat(Rules(ns, "ip6tables")).Where(r => r.Contains("kcptun-dotnet", StringComparison.Ordinal))];

    /// <summary>Every OUTPUT rule of <paramref name="ns"/> for <paramref name="tool"/> (iptables or ip6tables).</summary>
    public static List<string> Rules(string ns, string tool) =>
        [.. Run("ip", "netns", "exec", ns, tool, "-w", "-S", "OUTPUT").Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(l => l.StartsWith("-A", StringComparison.Ordinal))];

    /// <summary>Runs a command in <paramref name="ns"/>, failing the test when it fails.</summary>
    public static string InNamespace(string ns, params string[] command) => Run("ip", ["netns", "exec", ns, .. command]);

    /// <summary>Makes a socket inside <paramref name="ns"/> (a thread that joined the namespace creates it; it stays there).</summary>
    public static T Within<T>(string ns, Func<T> create)
    {
        T? result = default;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                using var handle = File.OpenHandle("/run/netns/" + ns);
                if (setns((int)handle.DangerousGetHandle(), CloneNewNetwork) != 0)
                {
                    throw new IOException($"setns {ns}: errno {Marshal.GetLastPInvokeError()}");
                }

                result = create();
            }
            catch (Exception e)
            {
                failure = e;
            }
        });
        thread.Start();
        thread.Join();
        return failure is null ? result! : throw new IOException($"in namespace {ns}: {failure.Message}", failure);
    }

    /// <summary>A TCP connection from inside <paramref name="ns"/> to <paramref name="target"/>.</summary>
    public static Socket Connect(string ns, IPEndPoint target) => Within(ns, () =>
    {
        var socket = new Socket(target.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            socket.Connect(target);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return socket;
    });

    /// <summary>Deletes both namespaces (which removes the veth pair and every rule in them) and checks they are gone.</summary>
    public void Dispose()
    {
        foreach (string ns in new[] { Client, Server })
        {
            RunUnchecked("ip", "netns", "del", ns);
        }

        string left = Run("ip", "netns", "list");
        Assert.DoesNotContain(Client, left, StringComparison.Ordinal);
        Assert.DoesNotContain(Server, left, StringComparison.Ordinal);
    }

    private static void Ip(params string[] arguments) => Run("ip", arguments);

    private static string Run(string program, params string[] arguments)
    {
        (int code, string output, string error) = RunUnchecked(program, arguments);
        Assert.True(code == 0, $"{program} {string.Join(' ', arguments)} failed ({code}): {error}");
        return output;
    }

    private static (int Code, string Output, string Error) RunUnchecked(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        Task<string> error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output, error.GetAwaiter().GetResult());
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int setns(int fd, int nstype);

    [LibraryImport("libc")]
    private static partial uint geteuid();
}
