using Kcptun.Crypto;
using Kcptun.Transport;

namespace Kcptun.Interop.Tests.Support;

/// <summary>The session options every transport-level interop test uses against the Go binaries.</summary>
internal static class InteropSessions
{
    /// <summary>
    /// Options matching a Go peer started with <c>--crypt <paramref name="crypt"/></c>, the same key and FEC shards,
    /// and windows of 1024 segments; <paramref name="generation"/> picks that generation's --crypt table.
    /// </summary>
    public static KcpSessionOptions Options(string crypt, byte[] key, int dataShards, int parityShards,
        WireGeneration generation = WireGeneration.Debian) => new()
        {
            DataShards = dataShards,
            ParityShards = parityShards,
            SendWindow = 1024,
            ReceiveWindow = 1024,
            ProtectionFactory = () => PacketProtection.Create(crypt, key, generation),
        };
}
