using System.Threading.Tasks.Sources;

namespace Kcptun.Smux;

/// <summary>
/// An allocation-free auto-reset event for one waiter at a time: <see cref="Set"/> either releases the waiter or is
/// remembered for the next <see cref="WaitAsync"/>. Waiters re-check their condition after every wake-up, so a spurious
/// or coalesced signal is harmless.
/// </summary>
internal sealed class AsyncSignal : IValueTaskSource
{
    private readonly Lock _lock = new();
    private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = true };
    private CancellationTokenRegistration _registration;
    private bool _signaled;
    private bool _waiting;

    /// <summary>Releases the current waiter, or the next one if nobody waits.</summary>
    public void Set()
    {
        lock (_lock)
        {
            if (_waiting)
            {
                _waiting = false;
                _core.SetResult(true);
            }
            else
            {
                _signaled = true;
            }
        }
    }

    /// <summary>Completes when <see cref="Set"/> is called (or was called since the last wait).</summary>
    /// <exception cref="InvalidOperationException">Another wait is already pending.</exception>
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
                // Registered under the lock: a callback that fires at once re-enters it on this thread.
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
