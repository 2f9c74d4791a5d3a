using Kcptun.Crypto;
using Kcptun.Smux;

namespace Kcptun.Tunnel;

/// <summary>
/// What <see cref="TunnelServer"/> runs with: typed values bound once from the configuration (the programs bind them
/// from the flags). Every member is required: the defaults are the configuration's, stated there only.
/// </summary>
public sealed record TunnelServerSettings
{
    /// <summary>Where each stream is connected: TCP <c>host:port</c> or a unix socket path (<c>--target</c>).</summary>
    public required string Target { get; init; }

    /// <summary>Null = detect per session whether the client compresses; true = only uncompressed clients; false = only compressed ones (<c>--nocomp</c>).</summary>
    public required bool? NoCompression { get; init; }

    /// <summary>Null = detect the smux version per session; 1 or 2 = only that version (<c>--smuxver</c>).</summary>
    public required int? SmuxVersion { get; init; }

    /// <summary>The smux configuration of every session; its version is replaced by the one the session speaks.</summary>
    public required SmuxConfig Smux { get; init; }

    /// <summary>How long each direction waits after its source ended before half-closing (<c>--closewait</c>).</summary>
    public required TimeSpan CloseWait { get; init; }

    /// <summary>Whether the stream opened/closed lines are suppressed (<c>--quiet</c>).</summary>
    public required bool Quiet { get; init; }

    /// <summary>The QPP pads that obfuscate stream payload, or null when QPP is off (<c>--QPP</c>).</summary>
    public required QuantumPermutationPad? Pads { get; init; }
}
