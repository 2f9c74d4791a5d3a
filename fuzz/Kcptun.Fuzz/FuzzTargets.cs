using Kcptun.Cli.Configuration;
using Kcptun.Crypto;
using Kcptun.Fuzz.Targets;
using Kcptun.Tunnel;

namespace Kcptun.Fuzz;

/// <summary>Runs one fuzz input; throws for a finding, returns for a clean result (accepted, or refused cleanly).</summary>
public delegate void FuzzAction(ReadOnlySpan<byte> input);

/// <summary>A named fuzz target.</summary>
/// <param name="Name">The name given on the command line and used for the corpus folder.</param>
/// <param name="Description">What it feeds the input into.</param>
/// <param name="Action">The target itself (without the allocation check <see cref="FuzzTargets.Run"/> adds).</param>
public sealed record FuzzTarget(string Name, string Description, FuzzAction Action);

/// <summary>Every target, by name. See docs/fuzzing.md for what each one checks.</summary>
public static class FuzzTargets
{
    /// <summary>The targets CI and the corpus replay run, in order.</summary>
    public static IReadOnlyList<FuzzTarget> All { get; } =
    [
        new("protection", "PacketProtection.TryOpen of every --crypt (first byte picks it), raw and sealed round trips", ProtectionTarget.Run),
        new("fec", "FecHeader.TryRead + FecDecoder.Decode over a sequence of FEC packets", FecTarget.Run),
        new("kcp", "KcpControlBlock.Input/Flush/Receive/Send over a sequence of operations", KcpTarget.Run),
        new("datagram", "the whole receive path: PacketPipeline.TryOpen (null crypt) -> FEC dispatch -> KCP", DatagramTarget.Run),
        new("smux1", "bytes from the peer into an smux v1 SmuxSession over an in-memory stream", SmuxTarget.RunVersion1),
        new("smux2", "bytes from the peer into an smux v2 SmuxSession over an in-memory stream", SmuxTarget.RunVersion2),
        new("snappy", "SnappyFramingStream reading a framed stream", SnappyTarget.Run),
        new("session", "the server's session start: SessionSniffer -> snappy or not -> smux of the detected version", SessionTarget.Run),
        new("json", "a -c config file: JsonConfigFile -> Validate -> what the programs build before any I/O", ConfigTargets.RunJson),
        new("argv", "a command line (arguments split at newlines) -> Validate -> what the programs build", ConfigTargets.RunArguments),
        new("sip003", "the SIP003 environment (SS_* variables, one a line) -> Validate -> what the programs build", ConfigTargets.RunPluginEnvironment),
    ];

    /// <summary>
    /// Targets with a planted bug, not listed: <c>fuzz/run.sh --ci</c> runs them first, seeded with the input that
    /// triggers it, to show that the fuzzer reports a finding (an exception) and a hang (an input that never returns).
    /// </summary>
    public static IReadOnlyDictionary<string, FuzzTarget> SelfTests { get; } = new Dictionary<string, FuzzTarget>
    {
        ["selftest-crash"] = new("selftest-crash", "throws for an input starting with 'C'", input =>
        {
            if (input.StartsWith("C"u8))
            {
                throw new InvalidOperationException("selftest-crash: the planted bug");
            }
        }),
        ["selftest-hang"] = new("selftest-hang", "never returns for an input starting with 'H'", input =>
        {
            if (input.StartsWith("H"u8))
            {
                Thread.Sleep(Timeout.Infinite);
            }
        }),
    };

    /// <summary>
    /// The target called <paramref name="name"/>, or null. Besides <see cref="All"/>, <c>protection-NAME</c> pins the
    /// cipher (<c>protection-aes-128-gcm</c>, <c>protection-null</c>, ...) for a long run on one of them.
    /// </summary>
    public static FuzzTarget? Find(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        foreach (var target in All)
        {
            if (target.Name == name)
            {
                return target;
            }
        }

        if (SelfTests.TryGetValue(name, out var selfTest))
        {
            return selfTest;
        }

        const string pinned = "protection-";
        if (name.StartsWith(pinned, StringComparison.Ordinal) && PacketProtection.IsKnown(name[pinned.Length..], WireGeneration.Latest))
        {
            var crypt = name[pinned.Length..];
            return new FuzzTarget(name, $"PacketProtection.TryOpen of --crypt {crypt}, raw and sealed round trips", input => ProtectionTarget.Run(crypt, input));
        }

        return null;
    }

    /// <summary>Every name <see cref="Find"/> accepts.</summary>
    public static IEnumerable<string> Names() =>
        All.Select(t => t.Name).Concat(PacketProtection.Names(WireGeneration.Latest).Select(c => "protection-" + c));

    /// <summary>Runs one input through <paramref name="target"/> under the allocation bound.</summary>
    public static void Run(FuzzTarget target, ReadOnlySpan<byte> input)
    {
        ArgumentNullException.ThrowIfNull(target);
        FuzzBudget.Allocation(target.Action, input);
    }
}
