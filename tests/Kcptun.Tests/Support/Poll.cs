namespace Kcptun.Tests.Support;

/// <summary>
/// The one polling helper of the unit tests, for states with no event to await (a counter another thread moves, a
/// line a logger appends). Polls every 5 ms against a hard wall-clock limit, then fails naming what it waited for.
/// Tests on the fake clock do not need it: they step time and assert.
/// </summary>
internal static class Poll
{
    /// <summary>How long a condition may take before the test fails.</summary>
    public static readonly TimeSpan DefaultLimit = TimeSpan.FromSeconds(30);

    /// <summary>Returns once <paramref name="condition"/> holds; fails the test after <paramref name="limit"/>.</summary>
    public static async Task UntilAsync(Func<bool> condition, string what = "the condition", TimeSpan? limit = null,
        CancellationToken cancellationToken = default)
    {
        long deadline = Environment.TickCount64 + (long)(limit ?? DefaultLimit).TotalMilliseconds;
        while (!condition())
        {
            if (Environment.TickCount64 > deadline)
            {
                Assert.Fail($"timed out after {(limit ?? DefaultLimit).TotalSeconds:0.#} s waiting for {what}");
            }

            await Task.Delay(5, cancellationToken).ConfigureAwait(false);
        }
    }
}
