namespace Kcptun.Transport;

/// <summary>Something the <see cref="KcpScheduler"/> runs when it is due.</summary>
internal interface IScheduledUpdate
{
    /// <summary>Runs one update; returns milliseconds until the next one, or a negative value to stop.</summary>
    long RunUpdate();
}

/// <summary>
/// The one thread that drives every session's periodic KCP flush (docs/protocol/kcp.md §6.11): a priority queue by
/// due time, no timer or task per session. Each item is in the queue at most once; it re-arms itself with the
/// delay its update returns, and leaves the queue by returning a negative delay (closed sessions).
/// </summary>
internal sealed class KcpScheduler
{
    private readonly object _gate = new();
    private readonly PriorityQueue<IScheduledUpdate, long> _queue = new();
    private readonly List<IScheduledUpdate> _due = [];
    private readonly List<(IScheduledUpdate Item, long Due)> _rearm = [];
    private readonly Action<string>? _log;
    private Thread? _thread;

    public KcpScheduler(Action<string>? log = null) => _log = log;

    /// <summary>The scheduler every session of the process shares.</summary>
    public static KcpScheduler Shared { get; } = new();

    /// <summary>Number of items waiting (tests and diagnostics).</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _queue.Count;
            }
        }
    }

    /// <summary>Runs <paramref name="item"/> after <paramref name="delayMilliseconds"/> (0: as soon as possible).</summary>
    public void Schedule(IScheduledUpdate item, long delayMilliseconds = 0)
    {
        lock (_gate)
        {
            _queue.Enqueue(item, KcpClock.NowMilliseconds + delayMilliseconds);
            if (_thread is null)
            {
                _thread = new Thread(Run) { IsBackground = true, Name = "kcp scheduler" };
                _thread.Start();
            }

            Monitor.PulseAll(_gate);
        }
    }

    private void Run()
    {
        while (true)
        {
            long now;
            lock (_gate)
            {
                while (true)
                {
                    now = KcpClock.NowMilliseconds;
                    if (!_queue.TryPeek(out _, out long due))
                    {
                        Monitor.Wait(_gate);
                    }
                    else if (due > now)
                    {
                        Monitor.Wait(_gate, (int)Math.Min(due - now, int.MaxValue));
                    }
                    else
                    {
                        break;
                    }
                }

                while (_queue.TryPeek(out IScheduledUpdate? item, out long due) && due <= now)
                {
                    _queue.Dequeue();
                    _due.Add(item);
                }
            }

            foreach (IScheduledUpdate item in _due)
            {
                long delay = RunOne(item);
                if (delay >= 0)
                {
                    // At least 1 ms so an item that keeps answering 0 cannot starve the others.
                    _rearm.Add((item, KcpClock.NowMilliseconds + Math.Max(delay, 1)));
                }
            }

            _due.Clear();
            lock (_gate)
            {
                foreach ((IScheduledUpdate item, long due) in _rearm)
                {
                    _queue.Enqueue(item, due);
                }
            }

            _rearm.Clear();
        }
    }

    private long RunOne(IScheduledUpdate item)
    {
        try
        {
            return item.RunUpdate();
        }
#pragma warning disable CA1031 // One faulty session must not stop the thread that drives every other session.
        catch (Exception e)
#pragma warning restore CA1031
        {
            _log?.Invoke($"kcp scheduler: update failed, session dropped from the schedule: {e}");
            return -1;
        }
    }
}
