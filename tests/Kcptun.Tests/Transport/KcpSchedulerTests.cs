using Kcptun.Transport;
using Microsoft.Extensions.Time.Testing;

namespace Kcptun.Tests.Transport;

/// <summary>The session scheduler: stepped by hand on a fake clock, and once on its own thread on the system clock.</summary>
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

    private sealed class Throwing : IScheduledUpdate
    {
        public long RunUpdate() => throw new InvalidOperationException("boom");
    }

    [Fact]
    public void Items_run_when_due_in_due_order_and_leave_on_a_negative_delay()
    {
        var time = new FakeTimeProvider();
        var scheduler = new KcpScheduler(new KcpClock(time));
        var log = new List<string>();
        scheduler.Schedule(new Item("late", log, runs: 1, delay: 0), delayMilliseconds: 400);
        scheduler.Schedule(new Item("quick", log, runs: 3, delay: 10));
        scheduler.Schedule(new Item("middle", log, runs: 2, delay: 100), delayMilliseconds: 5);

        Assert.Equal(5, scheduler.RunDue());
        Assert.Equal(["quick"], log);

        time.Advance(TimeSpan.FromMilliseconds(5));
        Assert.Equal(5, scheduler.RunDue()); // middle ran, quick is due again at 10
        Assert.Equal(["quick", "middle"], log);

        time.Advance(TimeSpan.FromMilliseconds(5));
        Assert.Equal(10, scheduler.RunDue());
        time.Advance(TimeSpan.FromMilliseconds(10));
        Assert.Equal(85, scheduler.RunDue()); // quick is done; middle's second run is at 105
        Assert.Equal(["quick", "middle", "quick", "quick"], log);

        time.Advance(TimeSpan.FromMilliseconds(85));
        Assert.Equal(295, scheduler.RunDue());
        time.Advance(TimeSpan.FromMilliseconds(294));
        Assert.Equal(1, scheduler.RunDue());
        Assert.Equal(1, scheduler.Count);
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(-1, scheduler.RunDue());
        Assert.Equal(["quick", "middle", "quick", "quick", "middle", "late"], log);
        Assert.Equal(0, scheduler.Count);
    }

    [Fact]
    public void An_item_that_answers_zero_runs_once_per_step_and_at_least_a_millisecond_apart()
    {
        var time = new FakeTimeProvider();
        var scheduler = new KcpScheduler(new KcpClock(time));
        var log = new List<string>();
        scheduler.Schedule(new Item("busy", log, runs: 100, delay: 0));
        Assert.Equal(1, scheduler.RunDue());
        Assert.Equal(1, scheduler.RunDue());
        Assert.Single(log);
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(1, scheduler.RunDue());
        Assert.Equal(2, log.Count);
    }

    [Fact]
    public void A_throwing_item_is_dropped_and_logged_and_the_others_keep_running()
    {
        var messages = new List<string>();
        var time = new FakeTimeProvider();
        var scheduler = new KcpScheduler(new KcpClock(time), messages.Add);
        var log = new List<string>();
        scheduler.Schedule(new Throwing());
        scheduler.Schedule(new Item("ok", log, runs: 2, delay: 1));
        scheduler.RunDue();
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(-1, scheduler.RunDue());
        Assert.Equal(["ok", "ok"], log);
        Assert.Single(messages);
        Assert.Contains("boom", messages[0]);
    }

    [Fact]
    public void A_threaded_scheduler_cannot_be_stepped_by_hand()
    {
        KcpScheduler scheduler = KcpScheduler.CreateThreaded(new KcpClock(new FakeTimeProvider()));
        Assert.Throws<InvalidOperationException>(() => scheduler.RunDue());
    }

    [Fact]
    public async Task A_threaded_scheduler_runs_every_item_on_its_one_thread_in_due_order()
    {
        KcpScheduler scheduler = KcpScheduler.CreateThreaded(KcpClock.System);
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
        Assert.NotEqual(Environment.CurrentManagedThreadId, late.ThreadId);
        Assert.Equal(0, scheduler.Count);
    }
}
