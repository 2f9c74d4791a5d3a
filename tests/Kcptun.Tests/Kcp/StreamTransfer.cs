namespace Kcptun.Tests.Kcp;

/// <summary>
/// Pushes a deterministic byte stream from side 0 to side 1 of a <see cref="SimulatedLink"/> the way kcptun does
/// (random-sized writes while WaitingToSend is below min(snd_wnd, rmt_wnd)) and checks every received byte.
/// </summary>
public sealed class StreamTransfer
{
    private const int PatternPeriod = 65521; // prime, so the pattern never lines up with segment boundaries
    private static readonly byte[] s_pattern = MakePattern();

    private readonly SimulatedLink _link;
    private readonly long _total;
    private readonly Random _random;
    private readonly byte[] _readBuffer;
    private readonly int _maxWrite;

    public StreamTransfer(SimulatedLink link, long total, int seed, int maxWrite = 8192, int readBuffer = 65536)
    {
        _link = link;
        _total = total;
        _random = new Random(seed);
        _maxWrite = maxWrite;
        _readBuffer = new byte[readBuffer];
        link.Application = Pump;
    }

    public long Written { get; private set; }

    public long Read { get; private set; }

    public bool Corrupt { get; private set; }

    public long FirstCorruptOffset { get; private set; } = -1;

    /// <summary>Where in the pattern the first wrong bytes came from (diagnostics), or -1.</summary>
    public int SourceOfCorruptBytes { get; private set; } = -1;

    public bool Run(uint limit) => _link.RunUntil(() => Read == _total || Corrupt, limit) && !Corrupt;

    private void Pump(SimulatedLink link)
    {
        var sender = link.Blocks[0];
        while (Written < _total && sender.WaitingToSend < Math.Min(sender.SendWindow, sender.RemoteWindow))
        {
            var n = (int)Math.Min(_total - Written, _random.Next(1, _maxWrite + 1));
            var sent = link.Write(0, s_pattern.AsSpan((int)(Written % PatternPeriod), n));
            Assert.Equal(n, sent);
            Written += n;
        }

        var receiver = link.Blocks[1];
        int r;
        while ((r = receiver.Receive(_readBuffer)) > 0)
        {
            var expected = s_pattern.AsSpan((int)(Read % PatternPeriod), r);
            if (!Corrupt && !_readBuffer.AsSpan(0, r).SequenceEqual(expected))
            {
                Corrupt = true;
                var at = _readBuffer.AsSpan(0, r).CommonPrefixLength(expected);
                FirstCorruptOffset = Read + at;
                var probe = _readBuffer.AsSpan(at, Math.Min(32, r - at)).ToArray();
                SourceOfCorruptBytes = s_pattern.AsSpan(0, PatternPeriod + 1000).IndexOf(probe);
            }

            Read += r;
        }
    }

    private static byte[] MakePattern()
    {
        var pattern = new byte[PatternPeriod + 65536];
        new Random(7).NextBytes(pattern.AsSpan(0, PatternPeriod));
        for (var i = PatternPeriod; i < pattern.Length; i++)
        {
            pattern[i] = pattern[i - PatternPeriod];
        }

        return pattern;
    }
}
