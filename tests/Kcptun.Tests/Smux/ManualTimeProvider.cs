namespace Kcptun.Tests.Smux;

/// <summary>A time provider whose timers fire only when the test says so (by their period).</summary>
public sealed class ManualTimeProvider : TimeProvider
{
    private readonly List<ManualTimer> _timers = [];

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new ManualTimer(callback, state, period);
        lock (_timers)
        {
            _timers.Add(timer);
        }

        return timer;
    }

    /// <summary>Runs the callback of every live timer with this period; returns how many ran.</summary>
    public int Fire(TimeSpan period)
    {
        ManualTimer[] due;
        lock (_timers)
        {
            due = [.. _timers.Where(t => t.Period == period && !t.Disposed)];
        }

        foreach (var timer in due)
        {
            timer.Callback(timer.State);
        }

        return due.Length;
    }

    private sealed class ManualTimer(TimerCallback callback, object? state, TimeSpan period) : ITimer
    {
        public TimerCallback Callback { get; } = callback;

        public object? State { get; } = state;

        public TimeSpan Period { get; } = period;

        public bool Disposed { get; private set; }

        public bool Change(TimeSpan dueTime, TimeSpan period) => true;

        public void Dispose() => Disposed = true;

        public ValueTask DisposeAsync()
        {
            Disposed = true;
            return ValueTask.CompletedTask;
        }
    }
}
