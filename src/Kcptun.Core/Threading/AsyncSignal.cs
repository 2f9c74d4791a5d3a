using System.Threading.Tasks.Sources;

namespace Kcptun.Threading;

/// <summary>
/// An allocation-free auto-reset event for one waiter at a time (kcp-go's and smux's one-slot notification
/// channel): <see cref="Set"/> either releases the waiter or is remembered for the next <see cref="WaitAsync"/>, and
/// several sets coalesce. Waiters re-check their condition after every wake-up, so a spurious or coalesced signal is
/// harmless. The KCP session (readable, writable) and smux (frames, window updates) wait on it.
/// </summary>
internal sealed class AsyncSignal : IValueTaskSource
{
    private readonly Lock _lock = new();
    private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = true };
    private CancellationTokenRegistration _registration;
    private bool _signaled;
    private bool _waiting;

    /// <summary>Releases the current waiter, or the next one if nobody waits.</summary>
    /// <param name="runWaiterInline">
    /// True: a waiting continuation runs on this thread, inside this call, up to its next incomplete await (the
    /// caller holds no lock and can afford that work); false: it is queued to the thread pool.
    /// </param>
    public void Set(bool runWaiterInline = false)
    {
        lock (_lock)
        {
            if (!_waiting)
            {
                _signaled = true;
                return;
            }

            _waiting = false;
        }

        // Only the Set that cleared _waiting gets here, and the waiter cannot wait again before its continuation ran,
        // so nothing else touches the core until SetResult returns. Completed outside the lock: an inline
        // continuation must not run while holding it.
        _core.RunContinuationsAsynchronously = !runWaiterInline;
        _core.SetResult(true);
    }

    /// <summary>Completes when <see cref="Set"/> is called (or was called since the last wait).</summary>
    /// <exception cref="InvalidOperationException">Another wait is already pending.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled first.</exception>
    public ValueTask WaitAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_signaled)
            {
                _signaled = false;
                return default;
            }

            if (_waiting)
            {
                throw new InvalidOperationException("Only one operation of this kind may be pending at a time.");
            }

            cancellationToken.ThrowIfCancellationRequested();
            _core.Reset();
            _waiting = true;
            if (cancellationToken.CanBeCanceled)
            {
                // Registered under the lock (a callback that fires at once re-enters it on this thread), and disposed
                // in GetResult before the next wait can start: no registration outlives its own wait.
                _registration = cancellationToken.UnsafeRegister(static (state, token) => ((AsyncSignal)state!).Cancel(token), this);
            }

            return new ValueTask(this, _core.Version);
        }
    }

    private void Cancel(CancellationToken token)
    {
        lock (_lock)
        {
            if (_waiting)
            {
                _waiting = false;
                _core.RunContinuationsAsynchronously = true; // never inline under the lock
                _core.SetException(new OperationCanceledException(token));
            }
        }
    }

    void IValueTaskSource.GetResult(short token)
    {
        CancellationTokenRegistration registration;
        lock (_lock)
        {
            registration = _registration;
            _registration = default;
        }

        // Waits for a running cancellation callback, so it cannot touch the next wait.
        registration.Dispose();
        _core.GetResult(token);
    }

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
