using Microsoft.Extensions.Time.Testing;

namespace Kcptun.Tests.Support;

/// <summary>
/// The one fake clock of the unit tests: Microsoft's <see cref="FakeTimeProvider"/> (time moves only on
/// <see cref="FakeTimeProvider.Advance"/>, which fires due timers in order on the caller's thread), plus
/// <see cref="ArmedTimers"/> for tests whose code arms a timer on another thread and that must not advance before.
/// </summary>
internal sealed class TestTimeProvider : FakeTimeProvider
{
    private int _armed;

    /// <summary>Starts at 2026-01-01 00:00 UTC.</summary>
    public TestTimeProvider()
        : base(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero))
    {
    }

    /// <summary>Timers that will fire if time moves far enough (created or changed with a due time, not yet fired
    /// if one-shot, not disposed).</summary>
    public int ArmedTimers => Volatile.Read(ref _armed);

    /// <inheritdoc/>
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var tracked = new TrackedTimer(this);
        tracked.Inner = base.CreateTimer(tracked.Wrap(callback), state, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        tracked.Change(dueTime, period);
        return tracked;
    }

    private sealed class TrackedTimer(TestTimeProvider owner) : ITimer
    {
        // No lock here: FakeTimeProvider may run callbacks under its own lock while a test thread calls Change.
        private int _armed;
        private volatile bool _periodic;

        public ITimer Inner { get; set; } = null!;

        public TimerCallback Wrap(TimerCallback callback) => state =>
        {
            if (!_periodic)
            {
                SetArmed(false);
            }

            callback(state);
        };

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            _periodic = period != Timeout.InfiniteTimeSpan && period != TimeSpan.Zero;
            SetArmed(dueTime != Timeout.InfiniteTimeSpan);
            return Inner.Change(dueTime, period);
        }

        public void Dispose()
        {
            SetArmed(false);
            Inner.Dispose();
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }

        private void SetArmed(bool armed)
        {
            int value = armed ? 1 : 0;
            int previous = Interlocked.Exchange(ref _armed, value);
            if (previous != value)
            {
                Interlocked.Add(ref owner._armed, value - previous);
            }
        }
    }
}
