using System.Buffers.Binary;
using Kcptun.ReedSolomon;

namespace Kcptun.Fec;

/// <summary>
/// The sending half of kcp-go's FEC (docs/protocol/fec.md §5.1 and 5.2, Debian behaviour): stamps every outgoing
/// datagram with seqid, data flag and size field, and after every D-th one makes P parity datagrams over the set's
/// shards zero padded to the set's longest datagram. Not thread-safe: one sender drives it.
/// </summary>
public sealed class FecEncoder
{
    private readonly ReedSolomonCodec _codec;
    private readonly int _shardOffset;                // headerOffset + 6: where the RS shard starts in a datagram
    private readonly uint _paws;                      // seqids wrap to 0 here, always at a set boundary
    private readonly byte[][] _dataShards;            // copies of datagram[_shardOffset..] of the current set
    private readonly int[] _dataLengths;
    private readonly byte[][] _parityDatagrams;       // headerOffset free bytes, seqid, flag, parity shard
    private readonly ReadOnlyMemory<byte>[] _dataMemory;
    private readonly Memory<byte>[] _parityMemory;
    private int _count;                               // data shards collected in the current set
    private int _maxDatagramLength;                   // longest whole datagram in the current set
    private int _parityLength;                        // length of the parity datagrams last produced
    private int _activeParity;                        // parity shards to emit per group (latched at a group's start)
    private int _groupParity;                         // what the current group emits

    /// <summary>Creates an encoder.</summary>
    /// <param name="dataShards">D (1..255).</param>
    /// <param name="parityShards">P (1..255, D + P at most 256).</param>
    /// <param name="headerOffset">Bytes before the FEC header that the protection stage fills (H).</param>
    /// <param name="maxDatagramSize">The longest datagram <see cref="Encode"/> will see (the MTU).</param>
    public FecEncoder(int dataShards, int parityShards, int headerOffset, int maxDatagramSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(headerOffset);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxDatagramSize, headerOffset + FecHeader.Size);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxDatagramSize - headerOffset - FecHeader.ShardOffset, ushort.MaxValue, nameof(maxDatagramSize));
        _codec = new ReedSolomonCodec(dataShards, parityShards);
        HeaderOffset = headerOffset;
        MaxDatagramSize = maxDatagramSize;
        _shardOffset = headerOffset + FecHeader.ShardOffset;
        uint total = (uint)(dataShards + parityShards);
        _paws = uint.MaxValue / total * total;

        int shardCapacity = maxDatagramSize - _shardOffset;
        _dataShards = new byte[dataShards][];
        for (int i = 0; i < dataShards; i++)
        {
            _dataShards[i] = new byte[shardCapacity];
        }

        _dataLengths = new int[dataShards];
        _parityDatagrams = new byte[parityShards][];
        for (int i = 0; i < parityShards; i++)
        {
            _parityDatagrams[i] = new byte[maxDatagramSize];
        }

        _dataMemory = new ReadOnlyMemory<byte>[dataShards];
        _parityMemory = new Memory<byte>[parityShards];
        _activeParity = parityShards;
        _groupParity = parityShards;
    }

    /// <summary>D.</summary>
    public int DataShards => _codec.DataShards;

    /// <summary>P.</summary>
    public int ParityShards => _codec.ParityShards;

    /// <summary>H: bytes before the FEC header in every datagram.</summary>
    public int HeaderOffset { get; }

    /// <summary>The longest datagram accepted.</summary>
    public int MaxDatagramSize { get; }

    /// <summary>
    /// How many of the <see cref="ParityShards"/> parity datagrams each group emits (0..P; default P). The group
    /// layout does not change: a group still spans D + P seqids and the parity datagrams not emitted (the last
    /// P - n) simply never appear, which a receiver treats like lost parity (docs/fec-adaptive.md). A change takes
    /// effect at the next group's first data packet.
    /// </summary>
    public int ActiveParityShards
    {
        get => _activeParity;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, ParityShards);
            _activeParity = value;
        }
    }

    /// <summary>Data shards collected in the current (unfinished) group.</summary>
    public int PendingDataShards => _count;

    /// <summary>The seqid the next packet (data or parity) gets.</summary>
    public uint NextSequenceId { get; internal set; }

    /// <summary>
    /// Writes the 8-byte FEC header at [HeaderOffset, +8) of <paramref name="datagram"/> (the whole buffer up to its
    /// length) and records its shard. Returns how many parity datagrams are now ready: 0, or the group's
    /// <see cref="ActiveParityShards"/> after the D-th data packet of a set (fetch them with <see cref="ParityDatagram"/>
    /// and send them right after this datagram).
    /// </summary>
    public int Encode(Span<byte> datagram)
    {
        if (datagram.Length < HeaderOffset + FecHeader.Size || datagram.Length > MaxDatagramSize)
        {
            throw new ArgumentException(
                $"Datagram length {datagram.Length} outside [{HeaderOffset + FecHeader.Size}, {MaxDatagramSize}].", nameof(datagram));
        }

        if (_count == 0)
        {
            _groupParity = _activeParity;
        }

        int shardLength = datagram.Length - _shardOffset;
        new FecHeader(NextSequenceId, FecHeader.DataFlag, (ushort)shardLength).Write(datagram[HeaderOffset..]);
        NextSequenceId++;

        datagram[_shardOffset..].CopyTo(_dataShards[_count]);
        _dataLengths[_count] = shardLength;
        _maxDatagramLength = Math.Max(_maxDatagramLength, datagram.Length);
        _count++;
        if (_count < DataShards)
        {
            return 0;
        }

        int emitted = _groupParity;
        _count = 0;
        if (emitted == 0)
        {
            // No parity for this group: its P seqids are skipped, so group boundaries stay where receivers expect them.
            NextSequenceId = (uint)((NextSequenceId + (ulong)ParityShards) % _paws);
            _maxDatagramLength = 0;
            return 0;
        }

        int length = _maxDatagramLength - _shardOffset;
        for (int i = 0; i < DataShards; i++)
        {
            _dataShards[i].AsSpan(_dataLengths[i], length - _dataLengths[i]).Clear();
            _dataMemory[i] = new ReadOnlyMemory<byte>(_dataShards[i], 0, length);
        }

        for (int p = 0; p < emitted; p++)
        {
            _parityMemory[p] = new Memory<byte>(_parityDatagrams[p], _shardOffset, length);
        }

        // Only the first `emitted` parity rows are computed: Reed-Solomon rebuilds any D of the D + emitted shards.
        _codec.Encode(_dataMemory, _parityMemory.AsSpan(0, emitted));
        for (int p = 0; p < ParityShards; p++)
        {
            Span<byte> header = _parityDatagrams[p].AsSpan(HeaderOffset, FecHeader.ShardOffset);
            BinaryPrimitives.WriteUInt32LittleEndian(header, NextSequenceId);
            BinaryPrimitives.WriteUInt16LittleEndian(header[4..], FecHeader.ParityFlag);
            NextSequenceId = (NextSequenceId + 1) % _paws;
        }

        _parityLength = _maxDatagramLength;
        _maxDatagramLength = 0;
        return emitted;
    }

    /// <summary>
    /// Parity datagram <paramref name="index"/> of the set just completed, as long as the set's longest datagram:
    /// HeaderOffset free bytes, seqid, parity flag, shard. Valid until the next <see cref="Encode"/>.
    /// </summary>
    public Span<byte> ParityDatagram(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, ParityShards);
        if (_parityLength == 0 || index >= _groupParity)
        {
            throw new InvalidOperationException("No parity datagrams have been produced yet.");
        }

        return _parityDatagrams[index].AsSpan(0, _parityLength);
    }
}
