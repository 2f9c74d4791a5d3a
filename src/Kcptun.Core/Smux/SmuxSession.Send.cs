using System.Buffers.Binary;
using Kcptun.IO;
using Kcptun.Threading;

namespace Kcptun.Smux;

public sealed partial class SmuxSession
{
    // One write to the connection carries up to this many bytes of frames (a frame is never split across writes).
    private const int SendBatchSize = 65536;

    // Smallest piece a frame is cut to when it does not fit the rest of a batch whole.
    private const int MinimumFrameCut = 1024;

    // Writes of at most this many bytes go ahead of larger ones in the next batch (SmallWritesFirst).
    private const int SmallWrite = 4096;

    // Fewest bytes a batch may carry when the connection reports less room (IWriteReadiness): writes of a segment or
    // two would cost a batch, a lock and a KCP call each; this bounds how far a write overshoots the room instead.
    private const int MinimumSendBatch = 16384;

    // Guards the queues below, every SmuxWriteOperation and the closed flag (so nothing is queued after close).
    private readonly Lock _sendLock = new();

    // SYN, UPD and NOP go ahead of data, as in latest smux; FIN stays in data order behind the stream's PSH frames.
    private readonly Queue<ControlEntry> _control = new();
    private readonly Queue<DataEntry> _data = new();
    // Set with runWaiterInline by every enqueue (callers hold no lock): an idle send loop writes the batch on the
    // enqueuing thread instead of waking a pool worker for it. That hop was on every request's path, once on each
    // tunnel end, and with workers that sleep at once (UnfairSemaphoreSpinLimit=0) each one costs a futex wake-up
    // and a context switch, which on a busy machine is where the p99 went (issue 6). A busy loop just sees the flag.
    private readonly AsyncSignal _sendSignal = new();
    private readonly List<SmuxStream> _batchFins = [];
    private readonly List<DataEntry> _reorder = [];
    private readonly byte[] _sendBuffer;
    private bool _nopQueued;
    private SmuxStream? _lastDataStream; // the stream of the last PSH frame put in a batch (written under the send lock)
    private long _lastDataSentAt = long.MinValue; // TimeProvider timestamp of that frame
    private long _interleavedAt = long.MinValue; // TimeProvider timestamp of the last sign of two streams' data in turn

    /// <summary>How long after two streams' data last alternated <see cref="StreamsInterleaved"/> stays true.</summary>
    public static readonly TimeSpan InterleavingMemory = TimeSpan.FromSeconds(1);

    /// <summary>
    /// True while data of more than one open stream went out within <see cref="InterleavingMemory"/>, or data of one
    /// stream came in within that time of data going out on another that is still open: then a frame of one stream may queue, and below
    /// smux wait in order, behind another's (KCP delivers one byte stream), so a loss that ARQ repairs delays every
    /// stream for a round trip. The adaptive FEC reads it (<see cref="Kcptun.Fec.AdaptiveParity.LatencySensitive"/>):
    /// one bulk stream alone is not delayed by its holes, an interactive stream beside it is. The second case is the
    /// far end of a download with requests beside it: its own datagrams carry the requests among the download's ACKs,
    /// and without parity a lost request waited for KCP's retransmission timeout (nothing sent after it triggers a
    /// fast resend), the p99 of request/response beside a bulk download. A stream that has sent its FIN (or is gone)
    /// no longer counts: a new stream after a finished one (one transfer after another) is not two in turn, and the
    /// short queues this signal brings would only slow the new one's start.
    /// </summary>
    public bool StreamsInterleaved => WithinInterleavingMemory(ref _interleavedAt);

    /// <summary>Data of <paramref name="stream"/> came in: interleaved if another stream's data went out within <see cref="InterleavingMemory"/>.</summary>
    private void NoteDataReceived(uint stream)
    {
        var sent = Volatile.Read(ref _lastDataStream);
        if (sent is null || sent.Id == stream || !sent.CanWrite)
        {
            return;
        }

        if (WithinInterleavingMemory(ref _lastDataSentAt))
        {
            Interlocked.Exchange(ref _interleavedAt, Time.GetTimestamp());
        }
    }

    /// <summary>Whether the timestamp in <paramref name="stamp"/> is set and younger than <see cref="InterleavingMemory"/>.</summary>
    private bool WithinInterleavingMemory(ref long stamp)
    {
        var at = Interlocked.Read(ref stamp);
        return at != long.MinValue && Time.GetElapsedTime(at) < InterleavingMemory;
    }

    internal Lock SendLock => _sendLock;

    /// <summary>Queues SYN, NOP or UPD. NOP and UPD are coalesced (at most one of each pending per stream).</summary>
    internal bool TryEnqueueControl(SmuxCommand command, SmuxStream? stream)
    {
        lock (_sendLock)
        {
            if (_isClosed)
            {
                return false;
            }

            if (command == SmuxCommand.Nop)
            {
                if (_nopQueued)
                {
                    return true;
                }

                _nopQueued = true;
            }
            else if (command == SmuxCommand.Update)
            {
                if (stream!.UpdateQueued)
                {
                    return true;
                }

                stream.UpdateQueued = true;
            }

            _control.Enqueue(new ControlEntry(command, stream));
        }

        _sendSignal.Set(runWaiterInline: true);
        return true;
    }

    /// <summary>Queues PSH frames for <paramref name="data"/>; completes once every byte has been written.</summary>
    internal ValueTask EnqueueWriteAsync(SmuxStream stream, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        var operation = stream.WriteOperation;
        lock (_sendLock)
        {
            if (_isClosed)
            {
                throw CreateClosedException();
            }

            ObjectDisposedException.ThrowIf(stream.IsDisposed, stream);
            if (stream.IsWriteClosed)
            {
                throw SmuxStream.WriteClosedException();
            }

            operation.Prepare(data);
            _data.Enqueue(new DataEntry(stream, operation.Version, Fin: false));
        }

        _sendSignal.Set(runWaiterInline: true);
        return operation.WaitAsync(cancellationToken);
    }

    /// <summary>
    /// Fails the stream's pending write and queues its FIN in data order, behind the frames already in the batch;
    /// false when the session is already closed.
    /// </summary>
    internal bool TryEnqueueFin(SmuxStream stream, bool disposing)
    {
        lock (_sendLock)
        {
            var operation = stream.WriteOperation;
            if (operation.State == SmuxWriteState.Queued)
            {
                operation.Complete(disposing
                    ? new ObjectDisposedException(nameof(SmuxStream), "The stream was closed during the write.")
                    : SmuxStream.WriteClosedException());
            }

            if (_isClosed)
            {
                return false;
            }

            _data.Enqueue(new DataEntry(stream, 0, Fin: true));
        }

        _sendSignal.Set(runWaiterInline: true);
        return true;
    }

    private async Task SendLoopAsync()
    {
        var token = _shutdown.Token;
        var readiness = _connection as IWriteReadiness;
        Exception? failure = null;
        try
        {
            while (true)
            {
                // Room first, frames second: a batch built before the connection had room waited with its frames
                // chosen, so a reply queued meanwhile went behind it as well as behind what KCP already held.
                var limit = SendBatchSize;
                if (readiness is not null)
                {
                    await readiness.WaitWritableAsync(token).ConfigureAwait(false);
                    limit = Math.Clamp(readiness.WritableBytes, MinimumSendBatch, SendBatchSize);
                }

                int length;
                lock (_sendLock)
                {
                    if (_isClosed)
                    {
                        break;
                    }

                    length = FillBatch(limit);
                }

                if (length == 0)
                {
                    await _sendSignal.WaitAsync(token).ConfigureAwait(false);
                    continue;
                }

                await _connection.WriteAsync(_sendBuffer.AsMemory(0, length), token).ConfigureAwait(false);
                bool idle;
                lock (_sendLock)
                {
                    CompleteBatch();
                    idle = _control.Count == 0 && _data.Count == 0;
                }

                if (idle)
                {
                    // End of a burst: let a buffering connection send now.
                    await _connection.FlushAsync(token).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
#pragma warning disable CA1031 // Any connection failure closes the session with its message; nothing escapes the loop.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            failure = new SmuxException("smux: writing to the connection failed: " + exception.Message, exception);
        }

        Close(failure);
        lock (_sendLock)
        {
            var error = CreateClosedException();
            CompleteBatch();
            while (_data.TryDequeue(out var entry))
            {
                if (entry.Fin)
                {
                    entry.Stream.OnFinWritten();
                }
                else if (entry.Stream.WriteOperation.Version == entry.Version && entry.Stream.WriteOperation.State != SmuxWriteState.Done)
                {
                    entry.Stream.WriteOperation.Complete(error);
                }
            }

            _control.Clear();
        }
    }

    /// <summary>Copies queued frames into the send buffer: control first, then data round-robin between streams.</summary>
    private int FillBatch(int limit)
    {
        var buffer = _sendBuffer.AsSpan(0, limit);
        var position = 0;
        while (_control.TryPeek(out var control))
        {
            var size = SmuxFrameHeader.Size + (control.Command == SmuxCommand.Update ? SmuxFrameHeader.UpdatePayloadSize : 0);
            if (position + size > buffer.Length)
            {
                return position;
            }

            _control.Dequeue();
            var frame = buffer.Slice(position, size);
            switch (control.Command)
            {
                case SmuxCommand.Nop:
                    _nopQueued = false;
                    new SmuxFrameHeader(_version, SmuxCommand.Nop, 0, 0).Write(frame);
                    break;
                case SmuxCommand.Update:
                    var stream = control.Stream!;
                    stream.UpdateQueued = false;
                    new SmuxFrameHeader(_version, SmuxCommand.Update, SmuxFrameHeader.UpdatePayloadSize, stream.Id).Write(frame);
                    BinaryPrimitives.WriteUInt32LittleEndian(frame[8..], stream.AnnouncedConsumed);
                    BinaryPrimitives.WriteUInt32LittleEndian(frame[12..], (uint)stream.AnnouncedWindow);
                    break;
                default:
                    new SmuxFrameHeader(_version, control.Command, 0, control.Stream!.Id).Write(frame);
                    break;
            }

            position += size;
        }

        SmallWritesFirst();
        long? now = null; // taken at the batch's first data frame
        while (_data.TryPeek(out var entry))
        {
            if (entry.Fin)
            {
                if (position + SmuxFrameHeader.Size > buffer.Length)
                {
                    break;
                }

                _data.Dequeue();
                new SmuxFrameHeader(_version, SmuxCommand.Fin, 0, entry.Stream.Id).Write(buffer[position..]);
                position += SmuxFrameHeader.Size;
                _batchFins.Add(entry.Stream);
                continue;
            }

            var operation = entry.Stream.WriteOperation;
            if (operation.Version != entry.Version || operation.State != SmuxWriteState.Queued)
            {
                _data.Dequeue(); // cancelled or failed meanwhile
                continue;
            }

            // A frame is cut to the batch's room rather than left for the next batch, unless only a sliver is left.
            var room = buffer.Length - position - SmuxFrameHeader.Size;
            var whole = Math.Min(operation.Remaining, _config.MaxFrameSize);
            var chunk = Math.Min(whole, room);
            if (chunk < Math.Min(whole, MinimumFrameCut))
            {
                break;
            }

            _data.Dequeue();
            now ??= Time.GetTimestamp();
            if (!ReferenceEquals(entry.Stream, _lastDataStream))
            {
                if (_lastDataStream is { CanWrite: true })
                {
                    Interlocked.Exchange(ref _interleavedAt, now.Value); // the other one still has more to say
                }

                Volatile.Write(ref _lastDataStream, entry.Stream);
            }

            new SmuxFrameHeader(_version, SmuxCommand.Push, (ushort)chunk, entry.Stream.Id).Write(buffer[position..]);
            operation.Data.Span.Slice(operation.Offset, chunk).CopyTo(buffer[(position + SmuxFrameHeader.Size)..]);
            operation.Offset += chunk;
            position += SmuxFrameHeader.Size + chunk;
            if (operation.Remaining == 0)
            {
                // Every byte is in the batch: the writer may go on (and queue its next write while this batch is
                // written), which keeps a single stream's pipeline full. The batch buffer is the back-pressure.
                operation.Complete(null);
            }
            else
            {
                _data.Enqueue(entry); // round-robin: other streams get a frame before this one's next
            }
        }

        if (now is { } sentAt)
        {
            Interlocked.Exchange(ref _lastDataSentAt, sentAt); // one timestamp per batch that carried data
        }

        return position;
    }

    /// <summary>
    /// Moves the queued writes of at most <see cref="SmallWrite"/> bytes ahead of the larger ones (their order among
    /// themselves kept): a reply of a few hundred bytes goes out in the next batch's first frame instead of behind a
    /// bulk stream's frame of up to the whole batch. Each stream's own frames keep their order: a stream has one
    /// write queued at a time, and its FIN, never moved, is queued only once that write is done or failed.
    /// </summary>
    private void SmallWritesFirst()
    {
        var count = _data.Count;
        if (count < 2)
        {
            return;
        }

        // One turn of the queue: small writes go straight back in, the rest wait aside and follow them.
        for (var i = 0; i < count; i++)
        {
            var entry = _data.Dequeue();
            if (IsSmallWrite(entry))
            {
                _data.Enqueue(entry);
            }
            else
            {
                _reorder.Add(entry);
            }
        }

        foreach (var entry in _reorder)
        {
            _data.Enqueue(entry);
        }

        _reorder.Clear();
    }

    private static bool IsSmallWrite(DataEntry entry)
    {
        var operation = entry.Stream.WriteOperation;
        return !entry.Fin && operation.Version == entry.Version && operation.State == SmuxWriteState.Queued
            && operation.Remaining <= SmallWrite;
    }

    private void CompleteBatch()
    {
        foreach (var stream in _batchFins)
        {
            stream.OnFinWritten();
        }

        _batchFins.Clear();
    }

    private readonly record struct ControlEntry(SmuxCommand Command, SmuxStream? Stream);

    private readonly record struct DataEntry(SmuxStream Stream, short Version, bool Fin);
}
