namespace Kcptun.Transport;

/// <summary>
/// Drives every session's periodic KCP flush (docs/protocol/kcp.md §6.11): a priority queue by due time on a
/// <see cref="KcpClock"/>, no timer or task per session. Each item is in the queue at most once; it re-arms itself
/// with the delay its update returns, and leaves the queue by returning a negative delay (closed sessions).
/// The programs share <see cref="Shared"/>, run by one background thread of its own; a scheduler made with the
/// constructor has no thread: its owner (a test on a fake clock) calls <see cref="RunDue"/> after moving time.
/// </summary>
internal sealed class KcpScheduler
{
    private readonly object _gate = new();
    private readonly PriorityQueue<IScheduledUpdate, long> _queue = new();
    private readonly List<IScheduledUpdate> _due = [];
    private readonly List<(IScheduledUpdate Item, long Due)> _rearm = [];
    private readonly Action<string>? _log;
    private readonly bool _ownThread;
    private Thread? _thread;

    /// <summary>A scheduler that runs only when its owner calls <see cref="RunDue"/>.</summary>
    /// <param name="clock">The clock due times are kept on.</param>
    /// <param name="log">Receives a line when an update throws (that item leaves the schedule).</param>
    public KcpScheduler(KcpClock clock, Action<string>? log = null)
        : this(clock, log, ownThread: false)
    {
    }

    private KcpScheduler(KcpClock clock, Action<string>? log, bool ownThread)
    {
        ArgumentNullException.ThrowIfNull(clock);
        Clock = clock;
        _log = log;
        _ownThread = ownThread;
    }

    /// <summary>The scheduler every session of the process shares (unless its options name another).</summary>
    public static KcpScheduler Shared { get; } = CreateThreaded(KcpClock.System);

    /// <summary>
    /// A scheduler run by a background thread of its own, started at the first <see cref="Schedule"/>; that thread
    /// sleeps until the earliest due time and is woken when an earlier one is scheduled.
    /// </summary>
    public static KcpScheduler CreateThreaded(KcpClock clock, Action<string>? log = null) => new(clock, log, ownThread: true);

    /// <summary>The clock due times are kept on.</summary>
    public KcpClock Clock { get; }

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
            _queue.Enqueue(item, Clock.NowMilliseconds + delayMilliseconds);
            if (!_ownThread)
            {
                return;
            }

            if (_thread is null)
            {
                _thread = new Thread(RunThread) { IsBackground = true, Name = "kcp scheduler" };
                _thread.Start();
            }

            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>
    /// Runs every item due by now, each once (an item that re-arms with a delay of 0 runs again at the next call,
    /// at least 1 ms later: one item cannot starve the others). Returns the milliseconds until the next item is due
    /// (0: already due), or -1 when none is queued. For a scheduler without a thread; one caller at a time.
    /// </summary>
    public long RunDue()
    {
        if (_ownThread)
        {
            throw new InvalidOperationException("This scheduler is run by its own thread.");
        }

        RunDueItems();
        return UntilNext();
    }

    private long UntilNext()
    {
        lock (_gate)
        {
            return _queue.TryPeek(out _, out long due) ? Math.Max(0, due - Clock.NowMilliseconds) : -1;
        }
    }

    private void RunThread()
    {
        while (true)
        {
            lock (_gate)
            {
                while (true)
                {
                    long now = Clock.NowMilliseconds;
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
            }

            RunDueItems();
        }
    }

    private void RunDueItems()
    {
        lock (_gate)
        {
            long now = Clock.NowMilliseconds;
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
                _rearm.Add((item, Clock.NowMilliseconds + Math.Max(delay, 1)));
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
