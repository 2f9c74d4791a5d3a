using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using Kcptun.Threading;

namespace Kcptun.Smux;

public sealed partial class SmuxSession
{
    // Holds at least one whole frame (8 + 65535) plus read-ahead.
    private const int ReceiveBufferSize = 1 << 17;

    private readonly AsyncSignal _budgetSignal = new();
    private byte[] _receiveBuffer = [];
    private int _receiveStart;
    private int _receiveEnd;
    private int _receiveBudget;
    private int _frameArrived;

    /// <summary>Bytes of the receive budget left (docs/protocol/smux.md §8.5); reading the connection pauses at 0 or below.</summary>
    internal int ReceiveBudget => Volatile.Read(ref _receiveBudget);

    /// <summary>Gives back budget taken by delivered PSH payloads (read by the application or discarded), or adds (a
    /// negative count: removes) what a stream's adaptive window grew by.</summary>
    internal void ReturnBudget(int count)
    {
        if (Interlocked.Add(ref _receiveBudget, count) > 0)
        {
            _budgetSignal.Set();
        }
    }

    private async Task ReceiveLoopAsync()
    {
        var token = _shutdown.Token;
        _receiveBuffer = new byte[ReceiveBufferSize];
        Exception? failure = null;
        try
        {
            while (true)
            {
                while (Volatile.Read(ref _receiveBudget) <= 0)
                {
                    await _budgetSignal.WaitAsync(token).ConfigureAwait(false);
                }

                if (!await FillAsync(SmuxFrameHeader.Size, token).ConfigureAwait(false))
                {
                    failure = new SmuxException("smux: the connection was closed by the peer");
                    break;
                }

                SmuxFrameHeader.TryRead(_receiveBuffer.AsSpan(_receiveStart, SmuxFrameHeader.Size), out var header);
                _receiveStart += SmuxFrameHeader.Size;
                Volatile.Write(ref _frameArrived, 1);
                if (header.Version != _version)
                {
                    throw new SmuxProtocolException($"invalid protocol: frame version {header.Version}, session version {_version} ({header})");
                }

                switch (header.Command)
                {
                    case SmuxCommand.Nop:
                        RequireEmpty(header);
                        break;
                    case SmuxCommand.Syn:
                        RequireEmpty(header);
                        await OnSynAsync(header.StreamId, token).ConfigureAwait(false);
                        break;
                    case SmuxCommand.Fin:
                        RequireEmpty(header);
                        OnFin(header.StreamId);
                        break;
                    case SmuxCommand.Push:
                        if (header.Length > 0)
                        {
                            if (!await FillAsync(header.Length, token).ConfigureAwait(false))
                            {
                                failure = new SmuxException("smux: the connection was closed by the peer in the middle of a frame");
                                break;
                            }

                            NoteDataReceived(header.StreamId);
                            OnPush(header.StreamId, _receiveBuffer.AsSpan(_receiveStart, header.Length));
                            _receiveStart += header.Length;
                        }

                        break;
                    case SmuxCommand.Update:
                        // smux 1.5.16 accepts UPD in a version 1 session too (latest calls it a protocol error).
                        if (header.Length != SmuxFrameHeader.UpdatePayloadSize)
                        {
                            throw new SmuxProtocolException($"invalid protocol: UPD frame with length {header.Length} ({header})");
                        }

                        if (!await FillAsync(SmuxFrameHeader.UpdatePayloadSize, token).ConfigureAwait(false))
                        {
                            failure = new SmuxException("smux: the connection was closed by the peer in the middle of a frame");
                            break;
                        }

                        OnUpdate(
                            header.StreamId,
                            BinaryPrimitives.ReadUInt32LittleEndian(_receiveBuffer.AsSpan(_receiveStart)),
                            BinaryPrimitives.ReadUInt32LittleEndian(_receiveBuffer.AsSpan(_receiveStart + 4)));
                        _receiveStart += SmuxFrameHeader.UpdatePayloadSize;
                        break;
                    default:
                        throw new SmuxProtocolException($"invalid protocol: unknown command {(byte)header.Command} ({header})");
                }

                if (failure is not null)
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
        catch (SmuxProtocolException exception)
        {
            failure = exception;
        }
#pragma warning disable CA1031 // Any connection failure closes the session with its message; nothing escapes the loop.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            failure = new SmuxException("smux: reading from the connection failed: " + exception.Message, exception);
        }

        Close(failure);
    }

    // SYN, FIN and NOP carry no payload. smux 1.5.16 would ignore a length here and misread the payload as the next
    // header; newer smux rejects it, and so do we, rather than desynchronise. Go peers always send 0.
    private static void RequireEmpty(SmuxFrameHeader header)
    {
        if (header.Length != 0)
        {
            throw new SmuxProtocolException($"invalid protocol: {header.Command} frame with length {header.Length} ({header})");
        }
    }

    /// <summary>Makes <paramref name="count"/> unread bytes available in the receive buffer; false at end of stream.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> FillAsync(int count, CancellationToken token)
    {
        if (_receiveEnd - _receiveStart >= count)
        {
            return true;
        }

        if (_receiveStart == _receiveEnd)
        {
            _receiveStart = _receiveEnd = 0;
        }

        if (_receiveBuffer.Length - _receiveStart < count)
        {
            // Move the unread tail to the front so the whole frame fits.
            var unread = _receiveEnd - _receiveStart;
            Buffer.BlockCopy(_receiveBuffer, _receiveStart, _receiveBuffer, 0, unread);
            _receiveStart = 0;
            _receiveEnd = unread;
        }

        while (_receiveEnd - _receiveStart < count)
        {
            var read = await _connection.ReadAsync(_receiveBuffer.AsMemory(_receiveEnd), token).ConfigureAwait(false);
            if (read <= 0)
            {
                return false;
            }

            _receiveEnd += read;
        }

        return true;
    }

    private async ValueTask OnSynAsync(uint streamId, CancellationToken token)
    {
        SmuxStream? stream = null;
        lock (_streamsLock)
        {
            if (!_streams.ContainsKey(streamId))
            {
                stream = new SmuxStream(this, streamId);
                _streams.Add(streamId, stream);
            }
        }

        if (stream is not null && !_accepts.Writer.TryWrite(stream))
        {
            // Backlog full: stop reading until the application accepts (as smux does).
            await _accepts.Writer.WriteAsync(stream, token).ConfigureAwait(false);
        }
    }

    private void OnFin(uint streamId)
    {
        SmuxStream? stream;
        lock (_streamsLock)
        {
            _streams.TryGetValue(streamId, out stream);
        }

        stream?.OnFinReceived();
    }

    private void OnPush(uint streamId, ReadOnlySpan<byte> payload)
    {
        lock (_streamsLock)
        {
            // Unknown or closed stream: the payload is dropped without using the budget.
            if (_streams.TryGetValue(streamId, out var stream))
            {
                Interlocked.Add(ref _receiveBudget, -payload.Length);
                stream.Deliver(payload);
            }
        }
    }

    private void OnUpdate(uint streamId, uint consumed, uint window)
    {
        SmuxStream? stream;
        lock (_streamsLock)
        {
            _streams.TryGetValue(streamId, out stream);
        }

        stream?.OnWindowUpdate(consumed, window);
    }
}
