namespace Kcptun.Fec;

/// <summary>
/// Guesses the sender's (D, P) from the pattern of data and parity packets, exactly as Debian kcp-go does
/// (docs/protocol/fec.md §5.6): 258 slots indexed by seqid mod 258, each holding the last (is-data, seqid) seen there,
/// all starting as (parity, 0); a period is the run length of one packet type between two edges.
/// </summary>
internal sealed class FecAutoTuner
{
    private const int SampleCount = 258;
    private readonly bool[] _isData = new bool[SampleCount];
    private readonly uint[] _sequence = new uint[SampleCount];

    /// <summary>Records one received FEC packet.</summary>
    public void Sample(bool isData, uint sequenceId)
    {
        int slot = (int)(sequenceId % SampleCount);
        _isData[slot] = isData;
        _sequence[slot] = sequenceId;
    }

    /// <summary>
    /// The number of consecutive packets of the wanted type between a left edge (other type, then wanted, with
    /// consecutive seqids; slot pairs scanned in slot order, slot 0 if none) and the next right edge (wanted, then
    /// other). -1 at the first seqid gap after the left edge; values &lt;= 0 mean "not found".
    /// </summary>
    public int FindPeriod(bool isData)
    {
        int leftEdge = 0;
        for (int i = 1; i < SampleCount; i++)
        {
            if (_isData[i - 1] != isData && _isData[i] == isData && _sequence[i - 1] + 1 == _sequence[i])
            {
                leftEdge = i;
                break;
            }
        }

        int rightEdge = 0;
        for (int i = leftEdge + 1; i < SampleCount; i++)
        {
            if (_sequence[i - 1] + 1 != _sequence[i])
            {
                return -1;
            }

            if (_isData[i - 1] == isData && _isData[i] != isData)
            {
                rightEdge = i;
                break;
            }
        }

        return rightEdge - leftEdge;
    }
}
