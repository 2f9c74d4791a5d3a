using Kcptun.Threading;

namespace Kcptun.Tests.Threading;

/// <summary>The one awaitable signal of the library (KCP session readable/writable, smux frames and windows).</summary>
public class AsyncSignalTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(10);

    [Fact]
    public void Inline_set_runs_the_waiter_on_the_setting_thread_before_returning()
    {
        var signal = new AsyncSignal();
        var ranOn = -1;
        var waiter = WaitThenRunAsync(signal, () => ranOn = Environment.CurrentManagedThreadId, CancellationToken.None);
        Assert.False(waiter.IsCompleted);

        signal.Set(runWaiterInline: true);

        Assert.True(waiter.IsCompletedSuccessfully);
        Assert.Equal(Environment.CurrentManagedThreadId, ranOn);
    }

    [Fact]
    public async Task Default_set_returns_before_the_waiter_runs()
    {
        var signal = new AsyncSignal();
        using var setReturned = new ManualResetEventSlim();
        var sawSetReturn = false;
        var waiter = WaitThenRunAsync(signal, () => sawSetReturn = setReturned.Wait(Limit), CancellationToken.None);

        signal.Set(); // run inline, the waiter would block here until Limit and then see false
        setReturned.Set();

        await waiter.WaitAsync(Limit);
        Assert.True(sawSetReturn);
    }

    [Fact]
    public async Task A_wait_after_an_inline_set_is_still_cancellable_and_a_later_set_is_remembered()
    {
        var signal = new AsyncSignal();
        var first = WaitThenRunAsync(signal, () => { }, CancellationToken.None);
        signal.Set(runWaiterInline: true);
        Assert.True(first.IsCompletedSuccessfully);

        using var cts = new CancellationTokenSource();
        var second = WaitThenRunAsync(signal, () => { }, cts.Token);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => second.WaitAsync(Limit));

        signal.Set(runWaiterInline: true); // nobody waits: remembered for the next wait
        var remembered = signal.WaitAsync(CancellationToken.None).AsTask();
        Assert.True(remembered.IsCompletedSuccessfully);
        var pending = signal.WaitAsync(CancellationToken.None).AsTask();
        Assert.False(pending.IsCompleted);
        signal.Set();
        await pending.WaitAsync(Limit);
    }

    [Fact]
    public async Task Sets_before_a_wait_are_remembered_once_and_coalesce()
    {
        var signal = new AsyncSignal();
        signal.Set();
        signal.Set();
        Assert.True(signal.WaitAsync(CancellationToken.None).AsTask().IsCompletedSuccessfully);

        var pending = signal.WaitAsync(CancellationToken.None).AsTask();
        Assert.False(pending.IsCompleted);
        signal.Set();
        await pending.WaitAsync(Limit);
    }

    [Fact]
    public async Task A_second_concurrent_wait_is_refused_and_the_first_still_completes()
    {
        var signal = new AsyncSignal();
        var first = signal.WaitAsync(CancellationToken.None).AsTask();
        Assert.Throws<InvalidOperationException>(() => { _ = signal.WaitAsync(CancellationToken.None).AsTask(); });
        signal.Set();
        await first.WaitAsync(Limit);
    }

    [Fact]
    public async Task A_cancelled_token_fails_the_wait_unless_a_set_is_pending()
    {
        var signal = new AsyncSignal();
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        Assert.Throws<OperationCanceledException>(() => { _ = signal.WaitAsync(cancelled.Token).AsTask(); });

        // A pending set wins: the caller gets its wake-up and re-checks its own condition.
        signal.Set();
        Assert.True(signal.WaitAsync(cancelled.Token).AsTask().IsCompletedSuccessfully);
    }

    [Fact]
    public async Task Cancelling_the_token_of_a_completed_wait_does_not_touch_the_next_wait()
    {
        // Both earlier copies differed here: a registration left over from a finished wait must not cancel a later one.
        var signal = new AsyncSignal();
        using var first = new CancellationTokenSource();
        var done = signal.WaitAsync(first.Token).AsTask();
        signal.Set();
        await done.WaitAsync(Limit);

        var next = signal.WaitAsync(CancellationToken.None).AsTask();
        await first.CancelAsync();
        Assert.False(next.IsCompleted);
        signal.Set();
        await next.WaitAsync(Limit);
    }

    [Fact]
    public async Task Set_and_cancel_racing_on_many_waits_complete_each_wait_exactly_once()
    {
        // One waiter, one setter and one canceller on three threads: every wait ends (set or cancelled), none hangs,
        // and the signal keeps working afterwards.
        var signal = new AsyncSignal();
        const int Rounds = 2_000;
        int completed = 0, cancelled = 0;
        using var stop = new CancellationTokenSource();
        Task setter = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                signal.Set();
                Thread.Yield();
            }
        });

        for (int i = 0; i < Rounds; i++)
        {
            using var cts = new CancellationTokenSource();
            Task wait = signal.WaitAsync(cts.Token).AsTask();
            if (i % 2 == 0)
            {
                _ = Task.Run(cts.Cancel);
            }

            try
            {
                await wait.WaitAsync(Limit);
                completed++;
            }
            catch (OperationCanceledException)
            {
                cancelled++;
            }
        }

        await stop.CancelAsync();
        await setter.WaitAsync(Limit);
        Assert.Equal(Rounds, completed + cancelled);
        Assert.True(completed > 0);

        signal.Set();
        await signal.WaitAsync(CancellationToken.None).AsTask().WaitAsync(Limit);
        var last = signal.WaitAsync(CancellationToken.None).AsTask();
        Assert.False(last.IsCompleted);
        signal.Set();
        await last.WaitAsync(Limit);
    }

    private static async Task WaitThenRunAsync(AsyncSignal signal, Action then, CancellationToken token)
    {
        await signal.WaitAsync(token).ConfigureAwait(false);
        then();
    }
}
