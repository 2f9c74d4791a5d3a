using System.Globalization;

namespace Kcptun.Tunnel;

/// <summary>What the server found at the start of a session.</summary>
/// <param name="Stream">The session's byte stream for smux: decompressing when <paramref name="Compressed"/>, with the sniffed bytes replayed.</param>
/// <param name="Compressed">The client wraps the session in snappy framing.</param>
/// <param name="SmuxVersion">The version byte of the client's first smux frame.</param>
internal readonly record struct SniffedSession(Stream Stream, bool Compressed, int SmuxVersion);

/// <summary>
/// Our server's per-session detection (a product decision, see <see cref="TunnelServerSettings.NoCompression"/> and
/// <see cref="TunnelServerSettings.SmuxVersion"/>): waits for the client's first bytes, which are either a snappy stream
/// identifier <c>ff 06 00 00 73 4e 61 50 70 59</c> (compressed) or a raw smux frame whose first byte is its version
/// (1 or 2); in the compressed case the version is the first decompressed byte. Forced settings are checked against
/// what arrived, so a mismatch is refused with a message instead of failing obscurely.
/// </summary>
internal static class SessionSniffer
{
    private static ReadOnlySpan<byte> SnappyIdentifier => [0xff, 0x06, 0x00, 0x00, 0x73, 0x4e, 0x61, 0x50, 0x70, 0x59];

    /// <exception cref="InvalidDataException">The first bytes fit neither form, or contradict a forced setting.</exception>
    /// <exception cref="EndOfStreamException">The session closed before its first frame.</exception>
    public static async Task<SniffedSession> DetectAsync(Stream connection, bool? noCompression, int? smuxVersion, Func<Stream, Stream> decompress, CancellationToken cancellationToken)
    {
        var first = new byte[SnappyIdentifier.Length];
        await ReadAtLeastAsync(connection, first.AsMemory(0, 1), cancellationToken).ConfigureAwait(false);
        bool compressed;
        Stream stream;
        if (first[0] == SnappyIdentifier[0])
        {
            await ReadAtLeastAsync(connection, first.AsMemory(1), cancellationToken).ConfigureAwait(false);
            if (!first.AsSpan().SequenceEqual(SnappyIdentifier))
            {
                throw new InvalidDataException($"unrecognised session start {Convert.ToHexStringLower(first)}: neither a snappy stream identifier nor an smux frame");
            }

            if (noCompression == true)
            {
                throw new InvalidDataException("the client compresses (snappy) but this server runs with --nocomp; drop --nocomp here or add --nocomp on the client");
            }

            compressed = true;
            stream = decompress(new ReplayStream(connection, first));
            var version = new byte[1];
            await ReadAtLeastAsync(stream, version, cancellationToken).ConfigureAwait(false);
            first = version;
            stream = new ReplayStream(stream, version);
        }
        else
        {
            if (noCompression == false)
            {
                throw new InvalidDataException("the client does not compress but this server runs with --nocomp=false; add --nocomp on the client or drop it here");
            }

            compressed = false;
            stream = new ReplayStream(connection, first.AsMemory(0, 1));
        }

        var detected = first[0];
        if (detected is not (1 or 2))
        {
            throw new InvalidDataException($"unrecognised smux version byte 0x{detected.ToString("x2", CultureInfo.InvariantCulture)}{(compressed ? " after decompression" : "")}: not a kcptun client");
        }

        if (smuxVersion is { } forced && forced != detected)
        {
            throw new InvalidDataException($"the client speaks smux v{detected} but this server runs with --smuxver {forced}");
        }

        return new SniffedSession(stream, compressed, detected);
    }

    private static async Task ReadAtLeastAsync(Stream stream, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        if (await stream.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false) < buffer.Length)
        {
            throw new EndOfStreamException("the session closed before its first smux frame");
        }
    }
}
