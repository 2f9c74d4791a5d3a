using System.Net;
using System.Net.Sockets;
using Kcptun.Cli.Configuration;
using Kcptun.Cli.Hosting;

namespace Kcptun.Tests.Tunnel;

public class ValidationTests
{
    [Fact]
    public void Defaults_are_valid()
    {
        new ClientOptions().Validate();
        new ServerOptions().Validate();
    }

    [Theory]
    [InlineData("--crypt rot13", "--crypt: unknown cipher \"rot13\"; valid values: aes, aes-128, aes-192, salsa20, blowfish, twofish, cast5, 3des, tea, xtea, xor, sm4, none, aes-128-gcm, null")]
    [InlineData("--mode turbo", "--mode: unknown mode \"turbo\"; valid values: fast3, fast2, fast, normal, manual")]
    [InlineData("--mode Fast", "--mode: unknown mode \"Fast\"")]
    [InlineData("--conn 0", "--conn must be greater than 0 (got 0)")]
    [InlineData("--conn -1", "--conn must be greater than 0 (got -1)")]
    [InlineData("--keepalive 0", "--keepalive must be between 1 and 30 seconds (got 0)")]
    [InlineData("--keepalive 31", "--keepalive must be between 1 and 30 seconds (got 31)")]
    [InlineData("--keepalive -5", "--keepalive must be between 1 and 30 seconds (got -5)")]
    [InlineData("--smuxver 3", "--smuxver: unsupported smux version 3; valid values: 1, 2")]
    [InlineData("--smuxver 0", "--smuxver: unsupported smux version 0; valid values: 1, 2")]
    [InlineData("--mtu 1501", "--mtu must be at most 1500 (got 1501)")]
    [InlineData("--mtu 52", "--mtu must be at least 53 with --crypt aes and FEC on (got 52)")]
    [InlineData("--mtu 60 --crypt aes-128-gcm", "--mtu must be at least 61 with --crypt aes-128-gcm and FEC on (got 60)")]
    [InlineData("--mtu 49 --crypt null --ds 0", "--mtu must be at least 50 with --crypt null and FEC off (got 49)")]
    [InlineData("--sndwnd 0", "--sndwnd must be between 1 and 65535 (got 0)")]
    [InlineData("--rcvwnd 65536", "--rcvwnd must be between 1 and 65535 (got 65536)")]
    [InlineData("--ds -1", "--datashard and --parityshard must not be negative")]
    [InlineData("--ds 200 --ps 57", "--datashard + --parityshard must be at most 256 (got 200+57)")]
    [InlineData("--dscp 64", "--dscp must be between 0 and 63 (got 64)")]
    [InlineData("--sockbuf 0", "--sockbuf must be greater than 0 (got 0)")]
    [InlineData("--smuxbuf 0", "--smuxbuf must be greater than 0 (got 0)")]
    [InlineData("--streambuf 0", "--streambuf must be greater than 0 (got 0)")]
    [InlineData("--smuxbuf 1000 --streambuf 2000", "--streambuf (2000) must not be larger than --smuxbuf (1000)")]
    [InlineData("--framesize 70000", "--framesize must be between 1 and 65535 (got 70000)")]
    [InlineData("--snmpperiod -1", "--snmpperiod must not be negative (got -1")]
    [InlineData("--QPP --QPPCount 0", "--QPPCount must be greater than 0 when QPP is enabled (got 0)")]
    [InlineData("--closewait -1", "--closewait must not be negative (got -1)")]
    [InlineData("--autoexpire -1", "--autoexpire must not be negative (got -1")]
    [InlineData("--scavengettl -1", "--scavengettl must not be negative (got -1)")]
    [InlineData("-l 127.0.0.1:99999", "--localaddr 127.0.0.1:99999: invalid port \"99999\" (expected 0..65535)")]
    [InlineData("-l 127.0.0.1:http", "--localaddr 127.0.0.1:http: invalid port \"http\"")]
    [InlineData("-l=", "--localaddr: empty address")]
    [InlineData("-r nohost", "--remoteaddr nohost: invalid address; expected host:port or host:minport-maxport")]
    [InlineData("-r 1.2.3.4:x", "--remoteaddr 1.2.3.4:x: invalid port \"x\"")]
    [InlineData("-r 1.2.3.4:2000-1000", "--remoteaddr 1.2.3.4:2000-1000: invalid port range \"2000-1000\"")]
    [InlineData("-r ::1:80", "--remoteaddr ::1:80: invalid address")]
    public void Client_configuration_errors(string args, string message) =>
        AssertRejected(ProgramRunner.Client(args.Split(' '), null), message);

    [Theory]
    [InlineData("--crypt rot13", "--crypt: unknown cipher \"rot13\"")]
    [InlineData("--smuxver 3", "--smuxver: unsupported smux version 3; valid values: 1, 2")]
    [InlineData("-l :70000", "--listen :70000: invalid port \"70000\"")]
    [InlineData("-l 0.0.0.0", "--listen 0.0.0.0: invalid address")]
    [InlineData("-t 127.0.0.1:abc", "--target 127.0.0.1:abc: invalid port \"abc\"")]
    [InlineData("--keepalive 60", "--keepalive must be between 1 and 30 seconds (got 60)")]
    public void Server_configuration_errors(string args, string message) =>
        AssertRejected(ProgramRunner.Server(args.Split(' '), null), message);

    [Fact]
    public void Every_problem_is_reported_at_once()
    {
        var result = ProgramRunner.Client(["--conn", "0", "--crypt", "x", "--mode", "y"]);
        Assert.Equal(ExitCodes.Configuration, result.ExitCode);
        Assert.Contains("--conn must be", result.Error, StringComparison.Ordinal);
        Assert.Contains("--crypt: unknown", result.Error, StringComparison.Ordinal);
        Assert.Contains("--mode: unknown", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Unix_socket_paths_are_accepted_where_kcptun_allows_them()
    {
        new ClientOptions { LocalAddress = "/tmp/kcptun.sock" }.Validate();
        new ServerOptions { Target = "/run/app.sock" }.Validate();
        new ClientOptions { RemoteAddress = "127.0.0.1:29900-29999" }.Validate();
        new ServerOptions { Listen = "[::1]:4000-4010" }.Validate();
    }

    [Fact]
    public void Usage_error_prints_Go_message_and_help_and_exits_2()
    {
        var result = ProgramRunner.Client(["--bogus"]);
        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Equal("Incorrect Usage. flag provided but not defined: -bogus\n", result.Error);
        Assert.StartsWith("NAME:\n   kcptun - client(with SMUX)", result.Out, StringComparison.Ordinal);
        var server = ProgramRunner.Server(["--mtu", "x"]);
        Assert.Equal(ExitCodes.Usage, server.ExitCode);
        Assert.Contains("invalid value \"x\" for flag -mtu: parse error", server.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Malformed_json_exits_non_zero_naming_line_and_column()
    {
        var path = Path.Combine(Path.GetTempPath(), $"kcptun-bad-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, "{\n \"mtu\": 1350\n \"crypt\": \"aes\"\n}");
        try
        {
            var result = ProgramRunner.Server(["-c", path]);
            Assert.Equal(ExitCodes.Configuration, result.ExitCode);
            Assert.Contains($"-c {path}: invalid JSON at line 3, column 2", result.Error, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_port_in_use_says_so()
    {
        using var taken = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        taken.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        taken.Listen();
        var address = $"127.0.0.1:{((IPEndPoint)taken.LocalEndPoint!).Port}";
        var result = ProgramRunner.Client(["-l", address, "-r", "127.0.0.1:1"]);
        Assert.Equal(ExitCodes.Configuration, result.ExitCode);
        Assert.Contains($"--localaddr {address}: cannot listen: address already in use", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Help_and_version_exit_zero()
    {
        var help = ProgramRunner.Server(["-h"]);
        Assert.Equal((0, ""), (help.ExitCode, help.Error));
        Assert.StartsWith("NAME:\n   kcptun - server(with SMUX), the .NET build\n\nUSAGE:\n   kcptun-server [global options]", help.Out, StringComparison.Ordinal);
        var version = ProgramRunner.Client(["-v"]);
        Assert.Equal(0, version.ExitCode);
        Assert.Matches("^kcptun version [^ ]+-dotnet\n$", version.Out);
    }

    private static void AssertRejected(ProgramRunner.Result result, string message)
    {
        Assert.Equal(ExitCodes.Configuration, result.ExitCode);
        Assert.Contains(message, result.Error, StringComparison.Ordinal);
        Assert.Matches(@"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d ", result.Error);
    }
}
