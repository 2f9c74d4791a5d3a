using System.Threading.Tasks.Sources;

namespace Kcptun.Transport;

/// <summary>
/// An auto-reset event for one waiter at a time (callers serialise their waits), allocation-free: kcp-go's
/// one-slot notification channel. <see cref="Set"/> before a wait is remembered, several sets coalesce.
/// </summary>
internal sealed class AsyncSignal : IValueTaskSource
{
    private readonly Lock _gate = new();
    private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = true };
    private CancellationTokenRegistration _registration;
    private CancellationToken _waitToken;
    private bool _isSet;
    private bool _waiting;

    /// <summary>Wakes the current waiter, or the next one if nobody waits.</summary>
    public void Set()
    {
        lock (_gate)
        {
            if (!_waiting)
            {
                _isSet = true;
                return;
            }

            _waiting = false;
        }

        _registration.Unregister();
        _core.SetResult(true);
    }

    /// <summary>Completes at the next <see cref="Set"/> (at once if one is pending); only one wait at a time.</summary>
    public ValueTask WaitAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_isSet)
            {
                _isSet = false;
                return default;
            }

            cancellationToken.ThrowIfCancellationRequested();
            if (_waiting)
            {
                throw new InvalidOperationException("Only one wait at a time.");
            }

            _core.Reset();
            _waiting = true;
            _waitToken = cancellationToken;
        }

        short version = _core.Version;
        if (cancellationToken.CanBeCanceled)
        {
            _registration = cancellationToken.UnsafeRegister(
                static (state, token) => ((AsyncSignal)state!).Cancel(token), this);
        }

        return new ValueTask(this, version);
    }

    private void Cancel(CancellationToken token)
    {
        lock (_gate)
        {
            // A registration left over from an earlier wait must not cancel this one.
            if (!_waiting || _waitToken != token)
            {
                return;
            }

            _waiting = false;
        }

        _core.SetException(new OperationCanceledException(token));
    }

    void IValueTaskSource.GetResult(short token) => _core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token,
        ValueTaskSourceOnCompletedFlags flags) => _core.OnCompleted(continuation, state, token, flags);
}
