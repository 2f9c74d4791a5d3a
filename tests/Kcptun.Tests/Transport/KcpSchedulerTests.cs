using Kcptun.Transport;

namespace Kcptun.Tests.Transport;

public sealed class KcpSchedulerTests
{
    private sealed class Item(string name, List<string> log, int runs, long delay, TaskCompletionSource? done = null) : IScheduledUpdate
    {
        private int _left = runs;

        public int ThreadId { get; private set; }

        public long RunUpdate()
        {
            ThreadId = Environment.CurrentManagedThreadId;
            lock (log)
            {
                log.Add(name);
            }

            if (--_left > 0)
            {
                return delay;
            }

            done?.TrySetResult();
            return -1;
        }
    }

    [Fact]
    public async Task Items_run_by_due_time_on_one_thread_and_leave_on_a_negative_delay()
    {
        var scheduler = new KcpScheduler();
        var log = new List<string>();
        var lateDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var quickDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var late = new Item("late", log, runs: 1, delay: 0, lateDone);
        var quick = new Item("quick", log, runs: 3, delay: 1, quickDone);
        scheduler.Schedule(late, delayMilliseconds: 400);
        scheduler.Schedule(quick);
        await Task.WhenAll(lateDone.Task, quickDone.Task).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(["quick", "quick", "quick", "late"], log);
        Assert.Equal(late.ThreadId, quick.ThreadId);
        Assert.Equal(0, scheduler.Count);
    }

    [Fact]
    public async Task A_throwing_item_is_dropped_and_the_others_keep_running()
    {
        var messages = new List<string>();
        var scheduler = new KcpScheduler(m => { lock (messages) { messages.Add(m); } });
        var log = new List<string>();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        scheduler.Schedule(new Throwing());
        scheduler.Schedule(new Item("ok", log, runs: 2, delay: 1, done), delayMilliseconds: 5);
        await done.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(["ok", "ok"], log);
        Assert.Single(messages);
    }

    private sealed class Throwing : IScheduledUpdate
    {
        public long RunUpdate() => throw new InvalidOperationException("boom");
    }
}
