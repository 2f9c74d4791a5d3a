using Kcptun.Smux;

namespace Kcptun.Tests.Smux;

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

    private static async Task WaitThenRunAsync(AsyncSignal signal, Action then, CancellationToken token)
    {
        await signal.WaitAsync(token).ConfigureAwait(false);
        then();
    }
}
