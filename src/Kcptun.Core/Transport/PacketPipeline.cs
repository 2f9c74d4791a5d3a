using System.Buffers.Binary;
using Kcptun.Crypto;
using Kcptun.Diagnostics;
using Kcptun.Fec;
using Kcptun.Kcp;

namespace Kcptun.Transport;

/// <summary>Where a <see cref="PacketPipeline"/> puts finished (sealed) datagrams.</summary>
internal interface IDatagramSink
{
    /// <summary>Sends one wire datagram; the span is only valid during the call.</summary>
    void Send(ReadOnlySpan<byte> datagram);

    /// <summary>Sends the sealed datagrams of <paramref name="batch"/> in order (default: one <see cref="Send"/> each).</summary>
    void SendBatch(DatagramBatch batch)
    {
        for (int i = 0; i < batch.Count; i++)
        {
            Send(batch.Datagram(i));
        }
    }
}

/// <summary>
/// The packet stages of one session (ARCHITECTURE.md "Datagram buffer layout", docs/protocol/crypto.md §4 and fec.md §5):
/// send = KCP output -> FEC encode -> seal -> sink, each parity datagram right after the data datagram that
/// completed its group; receive = (opened payload) -> FEC flag dispatch -> KCP input (regular) / FEC decoder ->
/// recovered packets as non-regular input. The caller holds the session lock around every call.
/// With a <see cref="DatagramBatch"/>, the send side copies each datagram (KCP reuses its output buffer) into the
/// next slot and only FEC-encodes it there; <see cref="SendPending"/> (the caller's end of a KCP flush, or a full
/// batch) seals the whole batch with one <see cref="PacketProtection.SealMany"/> and hands it to the sink.
/// </summary>
internal sealed class PacketPipeline
{
    /// <summary>kcp-go's fecHeaderSizePlus2: seqid (4), flag (2), size (2).</summary>
    public const int FecHeaderSize = 8;

    /// <summary>A KCP segment header; the smallest payload worth reading (Debian's minimum after the crypto header).</summary>
    public const int KcpOverhead = 24;

    public const ushort FecDataFlag = 0xF1;
    public const ushort FecParityFlag = 0xF2;

    private readonly PacketProtection _protection;
    private readonly FecEncoder? _encoder;
    private readonly SnmpCounters _counters;
    private readonly IDatagramSink _sink;
    private readonly byte[] _sealScratch;
    private readonly DatagramBatch? _batch;
    private readonly AdaptiveParity? _adaptiveParity;
    private FecDecoder? _decoder;

    /// <summary>Builds the stages of one session; <paramref name="counters"/> get the packet counts.</summary>
    /// <param name="protection">Seals this session's datagrams (and opens them on the receive path).</param>
    /// <param name="options">FEC shard counts.</param>
    /// <param name="counters">The session's counters.</param>
    /// <param name="sink">Where sealed datagrams go.</param>
    /// <param name="batch">Collect datagrams here until <see cref="SendPending"/>; null: seal and send each at once.</param>
    public PacketPipeline(PacketProtection protection, KcpSessionOptions options, SnmpCounters counters, IDatagramSink sink,
        DatagramBatch? batch = null)
    {
        _protection = protection;
        _counters = counters;
        _sink = sink;
        _batch = batch;
        int fecHeader = 0;
        if (options.FecEnabled)
        {
            fecHeader = FecHeaderSize;
            _encoder = new FecEncoder(options.DataShards, options.ParityShards, protection.HeaderSize,
                KcpSessionOptions.MaxDatagramSize);
            _decoder = new FecDecoder(options.DataShards, options.ParityShards, counters);
            if (options.AdaptiveFec && options.CongestionControl == Kcp.Congestion.CongestionControl.Bbr)
            {
                _adaptiveParity = new AdaptiveParity(options.DataShards, options.ParityShards, options.AdaptiveFecInitialParity);
                _encoder.ActiveParityShards = _adaptiveParity.ParityShards;
            }
        }

        ReservedSize = protection.HeaderSize + fecHeader;
        _sealScratch = new byte[KcpSessionOptions.MaxDatagramSize + protection.TrailerSize];
    }

    /// <summary>Bytes KCP leaves free at the front of each datagram: protection header + FEC header (H + F).</summary>
    public int ReservedSize { get; }

    /// <summary>Bytes the protection appends (T), taken off KCP's MTU.</summary>
    public int TrailerSize => _protection.TrailerSize;

    /// <summary>The KCP output callback's work: <paramref name="buffer"/>[..length] is a datagram with the reserved prefix free.</summary>
    public void Output(Span<byte> buffer, int length)
    {
        // kcp-go drops output that holds no whole segment (it cannot happen with a sane KCP).
        if (length < KcpOverhead + ReservedSize)
        {
            return;
        }

        if (_batch is not null && length + _protection.TrailerSize <= _batch.SlotSize)
        {
            OutputToBatch(_batch, buffer[..length]);
            return;
        }

        // Unbatched, or a datagram too large for a slot (cannot happen with an MTU of at most 1500): at once, in order.
        SendPending();
        if (_encoder is null)
        {
            SealAndSend(buffer, length);
            return;
        }

        int parities = Encode(_encoder, buffer[..length]);
        SealAndSend(buffer, length);
        for (int i = 0; i < parities; i++)
        {
            Span<byte> parity = _encoder.ParityDatagram(i);
            SealAndSend(parity, parity.Length);
        }
    }

    /// <summary>The adaptive FEC controller (<see cref="KcpSessionOptions.AdaptiveFec"/> under bbr), else null.</summary>
    public AdaptiveParity? AdaptiveParity => _adaptiveParity;

    /// <summary>D of the sender's FEC groups (null when FEC is off).</summary>
    public int? SendDataShards => _encoder?.DataShards;

    /// <summary>Parity datagrams per group the sender emits now (null when FEC is off).</summary>
    public int? SendParityShards => _encoder?.ActiveParityShards;

    /// <summary>Parity datagrams this session has emitted.</summary>
    public long ParityDatagramsSent { get; private set; }

    /// <summary>FEC groups completed (each emitted 0..P parity datagrams).</summary>
    public long FecGroupsSent { get; private set; }

    /// <summary>
    /// Lets the adaptive FEC see what the sender's KCP transmitted and had to retransmit (after a flush, under the
    /// session lock); a new parity count applies from the next FEC group on, and the rate controller hears of the
    /// wire bytes it adds per KCP byte, (D + p) / D (<see cref="Kcptun.Kcp.Congestion.BbrController.SetWireFactor"/>).
    /// </summary>
    public void ObserveSender(KcpControlBlock kcp)
    {
        if (_adaptiveParity is null)
        {
            return;
        }

        if (_adaptiveParity.Observe(kcp.DataSegmentsTransmitted, kcp.NeededRetransmissions, kcp.WindowLimitedFlushes))
        {
            _encoder!.ActiveParityShards = _adaptiveParity.ParityShards;
        }

        var controller = kcp.RateController;
        var factor = (double)(_encoder!.DataShards + _encoder.ActiveParityShards) / _encoder.DataShards;
        if (controller is not null && controller.WireFactor != factor)
        {
            controller.SetWireFactor(factor);
        }
    }

    /// <summary>Datagrams waiting in the batch for <see cref="SendPending"/>.</summary>
    public int PendingCount => _batch?.Count ?? 0;

    /// <summary>Seals every datagram collected since the last call with one SealMany and sends them, in order.</summary>
    public void SendPending()
    {
        if (_batch is null || _batch.Count == 0)
        {
            return;
        }

        try
        {
            _protection.SealMany(_batch.Slab, _batch.SlotSize, _batch.Lengths);
            _sink.SendBatch(_batch);
        }
        finally
        {
            _batch.Clear();
        }
    }

    private void OutputToBatch(DatagramBatch batch, ReadOnlySpan<byte> datagram)
    {
        if (batch.IsFull)
        {
            SendPending();
        }

        // FEC encodes the copy in its slot: the seqid/flag/size header lands there, the shard is recorded.
        Span<byte> slot = batch.NextSlot;
        datagram.CopyTo(slot);
        int parities = _encoder is null ? 0 : Encode(_encoder, slot[..datagram.Length]);
        batch.Commit(datagram.Length);
        for (int i = 0; i < parities; i++)
        {
            Span<byte> parity = _encoder!.ParityDatagram(i);
            if (parity.Length + _protection.TrailerSize > batch.SlotSize)
            {
                SendPending();
                SealAndSend(parity, parity.Length);
                continue;
            }

            if (batch.IsFull)
            {
                SendPending();
            }

            parity.CopyTo(batch.NextSlot);
            batch.Commit(parity.Length);
        }
    }

    private int Encode(FecEncoder encoder, Span<byte> datagram)
    {
        bool completesGroup = encoder.PendingDataShards == encoder.DataShards - 1;
        int parities = encoder.Encode(datagram);
        if (completesGroup)
        {
            FecGroupsSent++;
            ParityDatagramsSent += parities;
        }

        return parities;
    }

    private void SealAndSend(Span<byte> buffer, int length)
    {
        if (buffer.Length < length + _protection.TrailerSize)
        {
            buffer[..length].CopyTo(_sealScratch);
            buffer = _sealScratch;
        }

        int wireLength = _protection.Seal(buffer, length);
        _sink.Send(buffer[..wireLength]);
    }

    /// <summary>
    /// Receive steps 1 and 2 (docs/protocol/crypto.md §4.5): opens a datagram in place and requires a whole segment header
    /// after the protection header. False (counted as InCsumErrors or InErrs) means drop.
    /// </summary>
    public static bool TryOpen(PacketProtection protection, Span<byte> datagram, SnmpCounters counters, out Span<byte> payload)
    {
        if (!protection.TryOpen(datagram, out Range range))
        {
            Interlocked.Increment(ref counters.InCsumErrors);
            payload = default;
            return false;
        }

        payload = datagram[range];
        if (payload.Length < KcpOverhead)
        {
            Interlocked.Increment(ref counters.InErrs);
            return false;
        }

        return true;
    }

    /// <summary>
    /// Reads the conversation and the first segment's sn of an opened payload (docs/protocol/kcp.md §6.12 step 2).
    /// False for parity packets and data packets too short to hold a segment.
    /// </summary>
    public static bool TryReadConversation(ReadOnlySpan<byte> payload, out uint conversation, out uint sequence)
    {
        conversation = 0;
        sequence = 0;
        if (payload.Length < KcpOverhead)
        {
            return false;
        }

        int offset = 0;
        ushort flag = BinaryPrimitives.ReadUInt16LittleEndian(payload[4..]);
        if (flag == FecParityFlag)
        {
            return false;
        }

        if (flag == FecDataFlag)
        {
            if (payload.Length < FecHeaderSize + KcpOverhead)
            {
                return false;
            }

            offset = FecHeaderSize;
        }

        conversation = BinaryPrimitives.ReadUInt32LittleEndian(payload[offset..]);
        sequence = BinaryPrimitives.ReadUInt32LittleEndian(payload[(offset + 12)..]);
        return true;
    }

    /// <summary>
    /// Feeds one opened payload (at least <see cref="KcpOverhead"/> bytes: the caller checks) into KCP and the FEC
    /// decoder at <paramref name="nowMilliseconds"/> (the session's <see cref="KcpClock"/>); counts InPkts, InBytes and
    /// KCPInErrors.
    /// </summary>
    public void Input(ReadOnlySpan<byte> payload, KcpControlBlock kcp, long nowMilliseconds)
    {
        uint now = unchecked((uint)nowMilliseconds);
        long kcpErrors = 0;
        ushort flag = BinaryPrimitives.ReadUInt16LittleEndian(payload[4..]);
        if (flag is FecDataFlag or FecParityFlag)
        {
            if (flag == FecDataFlag && kcp.Input(payload[FecHeaderSize..], now) != KcpInputResult.Accepted)
            {
                kcpErrors++;
            }

            // A peer may send FEC although we do not: decode with a 1/1 guess that auto-tuning corrects (section 5.4).
            _decoder ??= new FecDecoder(1, 1, _counters);
            int recovered = _decoder.Decode(payload, nowMilliseconds);
            for (int i = 0; i < recovered; i++)
            {
                if (kcp.InputRecovered(_decoder.Recovered(i), now) != KcpInputResult.Accepted)
                {
                    kcpErrors++;
                }
            }
        }
        else if (kcp.Input(payload, now) != KcpInputResult.Accepted)
        {
            kcpErrors++;
        }

        Interlocked.Increment(ref _counters.InPkts);
        Interlocked.Add(ref _counters.InBytes, payload.Length);
        if (kcpErrors > 0)
        {
            Interlocked.Add(ref _counters.KcpInErrors, kcpErrors);
        }
    }
}
