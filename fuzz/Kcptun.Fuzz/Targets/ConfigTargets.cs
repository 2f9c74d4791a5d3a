using System.Text;
using Kcptun.Cli.Configuration;
using Kcptun.Compression;
using Kcptun.Crypto;
using Kcptun.Transport;
using Kcptun.Tunnel;

namespace Kcptun.Fuzz.Targets;

/// <summary>
/// What the programs read from the user: the <c>-c</c> JSON file, the command line and the SIP003 environment. Each
/// input goes through the loading the program does, then <see cref="TunnelOptions.Validate"/>, then everything the
/// program builds from valid options before it opens a socket (session options and cipher, smux settings, the tunnel
/// client or server object). A <see cref="CommandLineUsageException"/> or <see cref="TunnelConfigurationException"/>
/// is a clean refusal; any other exception, or an allocation past the bound, is a finding. The first input byte picks
/// the program: even = client, odd = server.
/// </summary>
internal static class ConfigTargets
{
    private static readonly byte[] s_pass = new byte[PacketProtection.DerivedKeySize];
    private static readonly string[] s_pluginVariables = ["SS_REMOTE_HOST", "SS_REMOTE_PORT", "SS_LOCAL_HOST", "SS_LOCAL_PORT", "SS_PLUGIN_OPTIONS", TunnelConfiguration.KeyVariable];

    /// <summary>The input (after the program byte) is the JSON file.</summary>
    public static void RunJson(ReadOnlySpan<byte> data)
    {
        var input = new FuzzInput(data);
        bool server = (input.Byte() & 1) != 0;
        var json = input.Rest.ToArray();
        Refusals(allowance =>
        {
            if (server)
            {
                Build(JsonConfigFile.Apply(TunnelFlags.Server, "fuzz.json", json, new ServerOptions()), allowance);
            }
            else
            {
                Build(JsonConfigFile.Apply(TunnelFlags.Client, "fuzz.json", json, new ClientOptions()), allowance);
            }
        });
    }

    /// <summary>The input (after the program byte) is the arguments, one a line (a <c>-c</c> file is read from disk).</summary>
    public static void RunArguments(ReadOnlySpan<byte> data)
    {
        var input = new FuzzInput(data);
        bool server = (input.Byte() & 1) != 0;
        var arguments = Lines(input.Rest);
        Load(server, arguments, _ => null);
    }

    /// <summary>
    /// The input (after the program byte) is the values of SS_REMOTE_HOST, SS_REMOTE_PORT, SS_LOCAL_HOST,
    /// SS_LOCAL_PORT, SS_PLUGIN_OPTIONS and KCPTUN_KEY, one a line (missing lines are unset variables).
    /// </summary>
    public static void RunPluginEnvironment(ReadOnlySpan<byte> data)
    {
        var input = new FuzzInput(data);
        bool server = (input.Byte() & 1) != 0;
        var values = Lines(input.Rest);
        var environment = new Dictionary<string, string>();
        for (int i = 0; i < values.Length && i < s_pluginVariables.Length; i++)
        {
            environment[s_pluginVariables[i]] = values[i];
        }

        Load(server, [], name => environment.GetValueOrDefault(name));
    }

    // A line per argument or variable. NUL separates too: an argument or an environment value cannot hold one (C
    // strings), so a NUL inside one would be a finding about an input no user can give.
    private static string[] Lines(ReadOnlySpan<byte> bytes) =>
        bytes.IsEmpty ? [] : Encoding.UTF8.GetString(bytes).Split(['\n', '\0']);

    private static void Load(bool server, string[] arguments, Func<string, string?> environment)
    {
        Refusals(allowance =>
        {
            if (server)
            {
                var loaded = TunnelConfiguration.LoadServer(arguments, environment);
                if (loaded.Action == CommandLineAction.Run)
                {
                    Build(loaded.Options, allowance);
                }
            }
            else
            {
                var loaded = TunnelConfiguration.LoadClient(arguments, environment);
                if (loaded.Action == CommandLineAction.Run)
                {
                    Build(loaded.Options, allowance);
                }
            }
        });
    }

    // Under the time budget: building from valid options is synchronous, and a setting that makes it slow (pads,
    // tables) must be a finding, not a timeout that kills afl-fuzz's fork server. The exception is the QPP pads, whose
    // cost grows with a valid --QPPCount (up to 65535, 3,570 AES blocks a pad): once validated, the options add
    // FuzzBudget.PadTime a pad to the 5 s (Common), so the build is measured against a budget scaled by the pad count.
    private static void Refusals(Action<FuzzAllowance> action)
    {
        var allowance = new FuzzAllowance();
        try
        {
            FuzzBudget.Wait(Task.Run(() => action(allowance)), "loading, validating and building the options", allowance);
        }
        catch (CommandLineUsageException)
        {
        }
        catch (TunnelConfigurationException)
        {
        }
    }

    // TunnelProgram's steps between loading and the first socket, without the PBKDF2 (a fixed key stands in for it).
    private static void Build(ClientOptions options, FuzzAllowance allowance)
    {
        options = Common(options, allowance);
        using var log = new TunnelLog(TextWriter.Null, TimeProvider.System);
        Validate(SmuxSettings.From(options, options.SmuxVersion));
        var client = new TunnelClient(RuntimeBinding.Client(options), log, _ => throw new InvalidOperationException("no dialling in a fuzz run"), s => new SnappyFramingStream(s));
        FuzzBudget.Wait(client.DisposeAsync().AsTask(), "TunnelClient.DisposeAsync");
    }

    private static void Build(ServerOptions options, FuzzAllowance allowance)
    {
        options = Common(options, allowance);
        using var log = new TunnelLog(TextWriter.Null, TimeProvider.System);
        Validate(SmuxSettings.From(options, options.SmuxVersion ?? 1));
        var server = new TunnelServer(RuntimeBinding.Server(options), log, s => new SnappyFramingStream(s));
        FuzzBudget.Wait(server.DisposeAsync().AsTask(), "TunnelServer.DisposeAsync");
    }

    private static T Common<T>(T options, FuzzAllowance allowance)
        where T : TunnelOptions
    {
        if (options.RateLimit < 0)
        {
            options = (T)(options with { RateLimit = 0 });
        }

        options.Validate();
        if (options.Qpp)
        {
            allowance.Add(FuzzBudget.PadTime * options.QppCount, $"{options.QppCount} QPP pads");
        }

        using var log = new TunnelLog(TextWriter.Null, TimeProvider.System);
        KcpSessionOptions transport = TransportSettings.From(options, s_pass, log);
        try
        {
            transport.Validate();
        }
        catch (ArgumentException e)
        {
            throw new FuzzFindingException("validated options give session options the transport refuses: " + e.Message, e);
        }

        var protection = transport.ProtectionFactory!();
        FuzzFindingException.Check(protection.HeaderSize + protection.TrailerSize + PacketPipeline.KcpOverhead < options.Mtu, "a validated MTU leaves no room for a segment");
        return options;
    }

    private static void Validate(Smux.SmuxConfig config)
    {
        try
        {
            config.Validate();
        }
        catch (ArgumentException e)
        {
            throw new FuzzFindingException("validated options give smux settings it refuses: " + e.Message, e);
        }
    }
}
