using System.Net;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using static Kcptun.Transport.LinuxSocketCalls;

namespace Kcptun.Transport;

/// <summary>
/// A fixed set of datagram slots in one pinned slab, with the message headers one recvmmsg or sendmmsg call needs.
/// Slot i is <see cref="Slab"/>[(i * <see cref="SlotSize"/>)..], the layout <c>PacketProtection.SealMany</c> takes.
/// Send side: the pipeline copies each KCP output (and FEC parity) into the next slot, seals the whole batch and hands
/// it to the socket. Receive side: the socket fills the slots and each slot's own address area. Everything is
/// allocated once (pinned, so the headers' pointers stay valid); nothing per datagram. Not thread-safe.
/// </summary>
internal sealed unsafe class DatagramBatch
{
    /// <summary>Room for the largest datagram (1500) plus a trailer, rounded to 64 bytes.</summary>
    public const int DefaultSlotSize = 1536;

    private readonly byte[] _slab;
    private readonly int[] _lengths;
    private readonly byte[] _addresses;
    private readonly MessageHeader[]? _headers;
    private readonly IoVector[]? _vectors;

    public DatagramBatch(int capacity, int slotSize = DefaultSlotSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(slotSize, 1);
        Capacity = capacity;
        SlotSize = slotSize;
        _slab = GC.AllocateUninitializedArray<byte>(capacity * slotSize, pinned: true);
        _lengths = new int[capacity];
        _addresses = GC.AllocateArray<byte>(capacity * AddressStorageSize, pinned: true);
        if (IsSupported)
        {
            _headers = GC.AllocateArray<MessageHeader>(capacity, pinned: true);
            _vectors = GC.AllocateArray<IoVector>(capacity, pinned: true);
            byte* slab = SlabPointer;
            byte* addresses = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_addresses));
            for (int i = 0; i < capacity; i++)
            {
                _vectors[i].Base = slab + ((nint)i * slotSize);
                _headers[i].Vectors = (IoVector*)Unsafe.AsPointer(ref _vectors[i]);
                _headers[i].VectorCount = 1;
                _headers[i].Name = addresses + (i * AddressStorageSize);
            }
        }
    }

    /// <summary>Slots in the batch.</summary>
    public int Capacity { get; }

    /// <summary>Bytes per slot.</summary>
    public int SlotSize { get; }

    /// <summary>Slots in use (filled datagrams), from slot 0.</summary>
    public int Count { get; private set; }

    public bool IsFull => Count == Capacity;

    /// <summary>The slots in use, whole (so the last one has its spare bytes for a trailer).</summary>
    public Span<byte> Slab => _slab.AsSpan(0, Count * SlotSize);

    /// <summary>The length of each slot in use.</summary>
    public Span<int> Lengths => _lengths.AsSpan(0, Count);

    /// <summary>The next free slot, whole; <see cref="Commit"/> takes it.</summary>
    public Span<byte> NextSlot => _slab.AsSpan(Count * SlotSize, SlotSize);

    /// <summary>Datagram <paramref name="index"/>: its slot cut to its length.</summary>
    public Span<byte> Datagram(int index) => _slab.AsSpan(index * SlotSize, _lengths[index]);

    /// <summary>Total length of datagrams [<paramref name="start"/>, start + count).</summary>
    public long TotalLength(int start, int count)
    {
        long total = 0;
        for (int i = start; i < start + count; i++)
        {
            total += _lengths[i];
        }

        return total;
    }

    /// <summary>Takes <see cref="NextSlot"/> with its first <paramref name="length"/> bytes filled.</summary>
    public void Commit(int length)
    {
        if (IsFull)
        {
            throw new InvalidOperationException("The batch is full.");
        }

        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, SlotSize);
        _lengths[Count++] = length;
    }

    /// <summary>Sets how many slots hold datagrams (the receive side, after the kernel filled them).</summary>
    public void SetReceived(int count, ReadOnlySpan<int> lengths)
    {
        lengths.CopyTo(_lengths);
        Count = count;
    }

    public void Clear() => Count = 0;

    private byte* SlabPointer => (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_slab));

    /// <summary>The native headers (only where <see cref="LinuxSocketCalls.IsSupported"/>).</summary>
    internal MessageHeader* Headers =>
        (MessageHeader*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_headers!));

    /// <summary>
    /// Readies headers [<paramref name="start"/>, start + count) for sendmmsg: each points at its datagram and at
    /// one copy of <paramref name="destination"/> (kept in slot 0's address area).
    /// </summary>
    internal void PrepareSend(int start, int count, SocketAddress destination)
    {
        int nameLength = destination.Size;
        destination.Buffer.Span[..nameLength].CopyTo(_addresses);
        byte* name = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_addresses));
        MessageHeader* headers = Headers;
        for (int i = start; i < start + count; i++)
        {
            headers[i].Name = name;
            headers[i].NameLength = (uint)nameLength;
            headers[i].Flags = 0;
            headers[i].Length = 0;
            _vectors![i].Length = (nuint)_lengths[i];
        }
    }

    /// <summary>Readies every header for recvmmsg: full slots of <paramref name="receiveSize"/> bytes, own address areas.</summary>
    internal void PrepareReceive(int receiveSize)
    {
        byte* addresses = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_addresses));
        MessageHeader* headers = Headers;
        for (int i = 0; i < Capacity; i++)
        {
            headers[i].Name = addresses + (i * AddressStorageSize);
            headers[i].NameLength = AddressStorageSize;
            headers[i].Flags = 0;
            headers[i].Length = 0;
            _vectors![i].Length = (nuint)receiveSize;
        }

        Count = 0;
    }

    /// <summary>After recvmmsg returned <paramref name="received"/>: records each datagram's length.</summary>
    internal void CompleteReceive(int received)
    {
        MessageHeader* headers = Headers;
        for (int i = 0; i < received; i++)
        {
            _lengths[i] = (int)headers[i].Length;
        }

        Count = received;
    }

    /// <summary>msg_flags of received datagram <paramref name="index"/>.</summary>
    internal int ReceivedFlags(int index) => Headers[index].Flags;

    /// <summary>The source address the kernel wrote for received datagram <paramref name="index"/>.</summary>
    internal ReadOnlySpan<byte> ReceivedAddress(int index)
    {
        int length = (int)Math.Min(Headers[index].NameLength, AddressStorageSize);
        return _addresses.AsSpan(index * AddressStorageSize, length);
    }
}
