using System.Threading.Tasks.Sources;

namespace Kcptun.Smux;

/// <summary>Where a stream's pending write is in the session's send path.</summary>
internal enum SmuxWriteState
{
    /// <summary>No write pending, or the last one has completed.</summary>
    Done,

    /// <summary>Waiting in the data queue; some frames may already be sent.</summary>
    Queued,
}

/// <summary>
/// The one reusable write request of a stream (a stream allows one write at a time), so a write costs no allocation.
/// Every field except the completion core is guarded by the session's send lock.
/// </summary>
internal sealed class SmuxWriteOperation : IValueTaskSource
{
    private readonly Lock _sendLock;
    private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = true };
    private CancellationTokenRegistration _registration;

    public SmuxWriteOperation(Lock sendLock) => _sendLock = sendLock;

    public ReadOnlyMemory<byte> Data { get; private set; }

    public int Offset { get; set; }

    public SmuxWriteState State { get; set; }

    public short Version => _core.Version;

    public int Remaining => Data.Length - Offset;

    /// <summary>Starts a new write (caller holds the send lock).</summary>
    public void Prepare(ReadOnlyMemory<byte> data)
    {
        _core.Reset();
        Data = data;
        Offset = 0;
        State = SmuxWriteState.Queued;
    }

    /// <summary>Finishes the write (caller holds the send lock); null means success.</summary>
    public void Complete(Exception? error)
    {
        State = SmuxWriteState.Done;
        Data = default;
        if (error is null)
        {
            _core.SetResult(true);
        }
        else
        {
            _core.SetException(error);
        }
    }

    /// <summary>The task of the prepared write; cancellation only withdraws frames not yet copied.</summary>
    public ValueTask WaitAsync(CancellationToken cancellationToken)
    {
        if (cancellationToken.CanBeCanceled)
        {
            _registration = cancellationToken.UnsafeRegister(static (state, token) => ((SmuxWriteOperation)state!).Cancel(token), this);
        }

        return new ValueTask(this, _core.Version);
    }

    private void Cancel(CancellationToken token)
    {
        lock (_sendLock)
        {
            if (State == SmuxWriteState.Queued)
            {
                Complete(new OperationCanceledException(token));
            }
        }
    }

    void IValueTaskSource.GetResult(short token)
    {
        _registration.Dispose();
        _registration = default;
        _core.GetResult(token);
    }

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
