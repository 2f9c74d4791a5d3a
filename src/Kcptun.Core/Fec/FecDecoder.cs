using System.Buffers.Binary;
using Kcptun.Diagnostics;
using Kcptun.ReedSolomon;

namespace Kcptun.Fec;

/// <summary>
/// The receiving half of kcp-go's FEC (docs/protocol/fec.md §5.4 to 5.7): buffers FEC packets per shard set and, once
/// D of a set's D + P shards are there while some data shard is missing, rebuilds the missing data packets.
/// Adapts to the sender's (D, P) like kcp-go's auto-tuner, so mismatched and one-sided FEC configurations work.
/// </summary>
/// <remarks>
/// <para>Buffering follows latest kcp-go's set-keyed variant (section 5.7), which recovers the same packets as the
/// Debian ordered queue with a fixed bound: the newest set seen and the three before it are kept (about Debian's
/// rxlimit of 3·(D + P) packets), older sets are dropped (their received data packets count as FECShortShards),
/// sets idle for 60 s expire, packets of a set already complete are ignored. Shard memory is allocated once per set
/// slot and reused, so steady-state decoding allocates nothing.</para>
/// <para>Counters (on the owner's instance given to the constructor, if any): FECParityShards for every parity
/// packet handed in, FECRecovered for every rebuilt packet with a valid size field, FECErrs for a rebuilt packet
/// whose size field is invalid and for hostile input (short or oversized packet, unknown flag, a data packet whose
/// size field exceeds it, a seqid at or beyond the sender's wrap point), FECShortShards as above.
/// Not thread-safe: one receive loop drives it.</para>
/// </remarks>
public sealed class FecDecoder
{
    /// <summary>The longest FEC packet accepted (kcp-go reads datagrams into 1500-byte buffers).</summary>
    public const int MaxPacketSize = 1500;

    /// <summary>Sets that received nothing for this long are dropped (kcp-go fecExpire).</summary>
    public const long ExpiryMilliseconds = 60_000;

    private const int MaxShardSize = MaxPacketSize - FecHeader.ShardOffset;
    private const int SetSlotCount = 4;

    private readonly SnmpCounters? _counters;
    private readonly FecAutoTuner _tuner = new();
    private readonly SetSlot[] _slots = new SetSlot[SetSlotCount];
    private readonly RecoveredPacket[] _recovered = new RecoveredPacket[ReedSolomonCodec.MaxTotalShards];
    private ReedSolomonCodec _codec;
    private Memory<byte>[] _shardMemory;
    private uint _paws;
    private uint _setCount;          // set indices run over [0, _setCount): seqid / (D + P) with seqid < paws
    private long _newestSet = -1;
    private int _recoveredCount;

    /// <summary>Creates a decoder that expects <paramref name="dataShards"/> + <paramref name="parityShards"/> sets
    /// until the packets show otherwise.</summary>
    /// <param name="dataShards">D (1..255).</param>
    /// <param name="parityShards">P (1..255, D + P at most 256).</param>
    /// <param name="counters">The owner's counters to increment, or null for none.</param>
    public FecDecoder(int dataShards, int parityShards, SnmpCounters? counters = null)
    {
        _counters = counters;
        for (int i = 0; i < SetSlotCount; i++)
        {
            _slots[i] = new SetSlot();
        }

        _codec = null!;
        _shardMemory = null!;
        SetGeometry(dataShards, parityShards);
    }

    /// <summary>
    /// A decoder for a session whose own FEC is off when an FEC packet arrives anyway (kcp-go creates one with
    /// D = 1, P = 1 on the fly); auto-tuning then adapts it to the sender.
    /// </summary>
    public static FecDecoder CreateForUnexpectedFec(SnmpCounters? counters = null) => new(1, 1, counters);

    /// <summary>The D currently assumed for the sender.</summary>
    public int DataShards => _codec.DataShards;

    /// <summary>The P currently assumed for the sender.</summary>
    public int ParityShards => _codec.ParityShards;

    /// <summary>
    /// Takes one FEC packet (the decrypted payload, starting at the FEC header; data and parity alike — the caller
    /// inputs a data packet's KCP bytes itself) and returns how many lost data packets it made recoverable; read
    /// them with <see cref="Recovered"/>. Hostile input is dropped and counted, never thrown.
    /// </summary>
    public int Decode(ReadOnlySpan<byte> packet, long nowMilliseconds)
    {
        _recoveredCount = 0;
        if (!FecHeader.TryRead(packet, out FecHeader header) || packet.Length > MaxPacketSize
            || !(header.IsData || header.IsParity))
        {
            Count(CounterKind.Errors);
            return 0;
        }

        if (header.IsParity)
        {
            Count(CounterKind.ParityShards);
        }
        else if (header.DataSize < 2 || header.DataSize > packet.Length - FecHeader.ShardOffset)
        {
            Count(CounterKind.Errors);
            return 0;
        }

        uint sequenceId = header.SequenceId;
        _tuner.Sample(header.IsData, sequenceId);
        if (!MatchesGeometry(header.IsData, sequenceId))
        {
            TryRetune();
            if (!MatchesGeometry(header.IsData, sequenceId))
            {
                return 0;   // still out of step with the sender (latest kcp-go also skips it): only garbage could come of it
            }
        }

        if (sequenceId >= _paws)
        {
            Count(CounterKind.Errors);   // a kcp-go sender wraps before this: not from a real peer
            return 0;
        }

        ExpireIdleSets(nowMilliseconds);
        int total = _codec.TotalShards;
        long setIndex = sequenceId / (uint)total;
        SetSlot? slot = FindSlot(setIndex);
        if (slot is null)
        {
            return 0;   // too far behind the newest set: its set is gone
        }

        int shardIndex = (int)(sequenceId % (uint)total);
        if (slot.Completed || slot.Present[shardIndex])
        {
            return 0;   // duplicate, or nothing left to rebuild in this set
        }

        ReadOnlySpan<byte> shard = packet[FecHeader.ShardOffset..];
        shard.CopyTo(slot.Buffer.AsSpan(shardIndex * MaxShardSize));
        slot.Present[shardIndex] = true;
        slot.Lengths[shardIndex] = shard.Length;
        slot.Count++;
        slot.MaxLength = Math.Max(slot.MaxLength, shard.Length);
        slot.LastArrival = nowMilliseconds;
        if (header.IsData)
        {
            slot.DataCount++;
        }

        if (slot.DataCount == DataShards)
        {
            slot.Completed = true;
        }
        else if (slot.Count >= DataShards)
        {
            Recover(slot);
            slot.Completed = true;
        }

        return _recoveredCount;
    }

    /// <summary>
    /// The KCP bytes of recovered packet <paramref name="index"/> (in shard order, already cut to the size field),
    /// valid until the next <see cref="Decode"/>.
    /// </summary>
    public ReadOnlySpan<byte> Recovered(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, _recoveredCount);
        RecoveredPacket packet = _recovered[index];
        return packet.Buffer.AsSpan(packet.Offset, packet.Length);
    }

    private bool MatchesGeometry(bool isData, uint sequenceId) =>
        sequenceId % (uint)_codec.TotalShards < (uint)DataShards == isData;

    private void TryRetune()
    {
        int dataShards = _tuner.FindPeriod(isData: true);
        int parityShards = _tuner.FindPeriod(isData: false);
        if (dataShards is > 0 and < 256 && parityShards is > 0 and < 256
            && dataShards + parityShards <= ReedSolomonCodec.MaxTotalShards
            && (dataShards != DataShards || parityShards != ParityShards))
        {
            SetGeometry(dataShards, parityShards);
        }
    }

    private void SetGeometry(int dataShards, int parityShards)
    {
        _codec = new ReedSolomonCodec(dataShards, parityShards);
        int total = dataShards + parityShards;
        _paws = uint.MaxValue / (uint)total * (uint)total;
        _setCount = _paws / (uint)total;
        _shardMemory = new Memory<byte>[total];
        _newestSet = -1;
        foreach (SetSlot slot in _slots)
        {
            slot.Resize(total);
        }
    }

    private void ExpireIdleSets(long now)
    {
        foreach (SetSlot slot in _slots)
        {
            if (slot.SetIndex >= 0 && now - slot.LastArrival > ExpiryMilliseconds)
            {
                slot.Clear();
            }
        }
    }

    /// <summary>The slot of set <paramref name="setIndex"/>, making room for a newer set; null when it is too old.</summary>
    private SetSlot? FindSlot(long setIndex)
    {
        if (_newestSet < 0)
        {
            _newestSet = setIndex;
        }
        else
        {
            // Set indices wrap at _setCount; "newer" is less than half the index space ahead.
            long ahead = (setIndex - _newestSet + _setCount) % _setCount;
            if (ahead != 0 && ahead < _setCount / 2)
            {
                _newestSet = setIndex;
                foreach (SetSlot slot in _slots)
                {
                    if (slot.SetIndex >= 0 && Behind(slot.SetIndex) >= SetSlotCount)
                    {
                        Evict(slot);
                    }
                }
            }
            else if (ahead != 0 && _setCount - ahead >= SetSlotCount)
            {
                return null;
            }
        }

        SetSlot? free = null;
        foreach (SetSlot slot in _slots)
        {
            if (slot.SetIndex == setIndex)
            {
                return slot;
            }

            if (slot.SetIndex < 0)
            {
                free ??= slot;
            }
        }

        if (free is null)
        {
            // Unreachable while every kept set is within SetSlotCount of the newest; stay bounded regardless.
            free = _slots[0];
            foreach (SetSlot slot in _slots)
            {
                if (Behind(slot.SetIndex) > Behind(free.SetIndex))
                {
                    free = slot;
                }
            }

            Evict(free);
        }

        free.SetIndex = setIndex;
        return free;
    }

    private long Behind(long setIndex) => (_newestSet - setIndex + _setCount) % _setCount;

    private void Evict(SetSlot slot)
    {
        if (!slot.Completed)
        {
            for (int i = 0; i < slot.DataCount; i++)
            {
                Count(CounterKind.ShortShards);   // data packets that never got the set complete
            }
        }

        slot.Clear();
    }

    private void Recover(SetSlot slot)
    {
        int total = _codec.TotalShards;
        int length = slot.MaxLength;
        for (int i = 0; i < total; i++)
        {
            Span<byte> region = slot.Buffer.AsSpan(i * MaxShardSize, length);
            if (slot.Present[i] && slot.Lengths[i] < length)
            {
                region[slot.Lengths[i]..].Clear();   // shards are zero padded to the set's longest
            }

            _shardMemory[i] = new Memory<byte>(slot.Buffer, i * MaxShardSize, length);
        }

        if (!_codec.ReconstructData(_shardMemory, slot.Present))
        {
            return;
        }

        for (int i = 0; i < DataShards; i++)
        {
            if (slot.Present[i])
            {
                continue;
            }

            // A rebuilt shard is size field (2 + KCP bytes) then KCP bytes then zero padding.
            int offset = i * MaxShardSize;
            int size = BinaryPrimitives.ReadUInt16LittleEndian(slot.Buffer.AsSpan(offset));
            if (size < 2 || size > length)
            {
                Count(CounterKind.Errors);
                continue;
            }

            _recovered[_recoveredCount++] = new RecoveredPacket(slot.Buffer, offset + 2, size - 2);
            Count(CounterKind.Recovered);
        }
    }

    private void Count(CounterKind kind)
    {
        if (_counters is not null)
        {
            Increment(_counters, kind);
        }

        static void Increment(SnmpCounters counters, CounterKind kind)
        {
            switch (kind)
            {
                case CounterKind.Errors: Interlocked.Increment(ref counters.FecErrs); break;
                case CounterKind.ParityShards: Interlocked.Increment(ref counters.FecParityShards); break;
                case CounterKind.Recovered: Interlocked.Increment(ref counters.FecRecovered); break;
                default: Interlocked.Increment(ref counters.FecShortShards); break;
            }
        }
    }

    private enum CounterKind
    {
        Errors,
        ParityShards,
        Recovered,
        ShortShards,
    }

    private readonly record struct RecoveredPacket(byte[] Buffer, int Offset, int Length);

    /// <summary>One shard set being collected: shard i lives at Buffer[i * MaxShardSize ..].</summary>
    private sealed class SetSlot
    {
        public long SetIndex = -1;
        public byte[] Buffer = [];
        public bool[] Present = [];
        public int[] Lengths = [];
        public int Count;
        public int DataCount;
        public int MaxLength;
        public long LastArrival;
        public bool Completed;

        public void Resize(int totalShards)
        {
            // Memory is allocated here (construction and the rare re-tune), never per packet.
            Buffer = new byte[totalShards * MaxShardSize];
            Present = new bool[totalShards];
            Lengths = new int[totalShards];
            Clear();
        }

        public void Clear()
        {
            SetIndex = -1;
            Array.Clear(Present);
            Count = 0;
            DataCount = 0;
            MaxLength = 0;
            Completed = false;
        }
    }
}
