namespace Kcptun.Tunnel;

/// <summary>
/// Keeps the tasks a tunnel starts per connection or stream so that shutdown can await every one of them (no task is
/// left running unobserved). Completed tasks remove themselves.
/// </summary>
internal sealed class TaskTracker
{
    private readonly Lock _gate = new();
    private readonly HashSet<Task> _tasks = [];

    /// <summary>Number of tasks still running.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _tasks.Count;
            }
        }
    }

    /// <summary>Starts tracking <paramref name="task"/> until it completes.</summary>
    public void Add(Task task)
    {
        lock (_gate)
        {
            _tasks.Add(task);
        }

        _ = task.ContinueWith(
            static (t, state) =>
            {
                var tracker = (TaskTracker)state!;
                lock (tracker._gate)
                {
                    tracker._tasks.Remove(t);
                }
            },
            this,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    /// <summary>Waits for every tracked task (including ones added while waiting); their failures are ignored.</summary>
    public async Task WhenAllAsync()
    {
        while (true)
        {
            Task[] pending;
            lock (_gate)
            {
                pending = [.. _tasks];
            }

            if (pending.Length == 0)
            {
                return;
            }

            await Task.WhenAll(pending).ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).ConfigureAwait(false);
        }
    }
}
