using Kcptun.Crypto;
using Kcptun.Smux;

namespace Kcptun.Tunnel;

/// <summary>
/// What <see cref="TunnelClient"/> runs with: typed values bound once from the configuration (the programs bind them
/// from the flags). Every member is required: the defaults are the configuration's, stated there only.
/// </summary>
public sealed record TunnelClientSettings
{
    /// <summary>Number of smux sessions to the server; streams are spread round-robin (<c>--conn</c>).</summary>
    public required int Connections { get; init; }

    /// <summary>Age after which a session takes no new streams; <see cref="TimeSpan.Zero"/> = never (<c>--autoexpire</c>).</summary>
    public required TimeSpan AutoExpire { get; init; }

    /// <summary>How long an expired session may keep serving its streams (<c>--scavengettl</c>).</summary>
    public required TimeSpan ScavengeTtl { get; init; }

    /// <summary>Whether each session is wrapped in snappy framing (not <c>--nocomp</c>).</summary>
    public required bool Compress { get; init; }

    /// <summary>The smux configuration of every session, version included.</summary>
    public required SmuxConfig Smux { get; init; }

    /// <summary>How long each direction waits after its source ended before half-closing (<c>--closewait</c>).</summary>
    public required TimeSpan CloseWait { get; init; }

    /// <summary>Whether the stream opened/closed lines are suppressed (<c>--quiet</c>).</summary>
    public required bool Quiet { get; init; }

    /// <summary>The QPP pads that obfuscate stream payload, or null when QPP is off (<c>--QPP</c>).</summary>
    public required QuantumPermutationPad? Pads { get; init; }
}
