using System.Diagnostics;
using System.Globalization;

namespace Kcptun.Fuzz;

/// <summary>
/// The limits every input runs under. An input is tiny (afl-fuzz keeps them under a few KB), so anything near these
/// bounds is a bug: a loop that does not end, a wait nobody wakes, a size field trusted for an allocation.
/// </summary>
public static class FuzzBudget
{
    /// <summary>Most managed memory one input may allocate (the whole process's allocations meanwhile, so generous).</summary>
    public const long MaxAllocatedBytes = 64L << 20;

    /// <summary>Longest an asynchronous target may take to settle after its input ended (the machine may be busy).</summary>
    public static readonly TimeSpan Time = TimeSpan.FromSeconds(5);

    /// <summary>
    /// What a config target adds to <see cref="Time"/> for each QPP pad its validated options ask for. Pads are the one
    /// step whose cost grows with a valid setting: --QPPCount is accepted up to 65535, as Go kcptun accepts any count,
    /// and each pad is 3,570 AES blocks. A release build makes 65535 in ~0.45 s on two idle cores (~12 µs a pad on
    /// one), but `dotnet test` builds Debug (~67 µs a pad on one core) and CI runs the tests again with hardware
    /// intrinsics off (the BCL's AES, ~89 µs a pad in Debug: 5.8 s for 65535 on a free core), on machines that may be
    /// busy: at load 8-10 on two cores even the release build's 65535 pads took 4.5 s of wall time. A fixed 5 s fails
    /// valid inputs by the clock; 0.25 ms a pad (+16 s at 65535) keeps a margin of ~3x over the slowest of those and
    /// still ends a build that loops. (The fuzz build leaves the pad builder uninstrumented: Instrumentation.Excluded.)
    /// </summary>
    public static readonly TimeSpan PadTime = TimeSpan.FromMilliseconds(0.25);

    /// <summary>Waits for <paramref name="task"/> within <see cref="Time"/> and rethrows its exception.</summary>
    /// <exception cref="FuzzFindingException">It did not finish in time: a hang.</exception>
    public static void Wait(Task task, string what) => Wait(task, what, new FuzzAllowance());

    /// <summary>
    /// Waits for <paramref name="task"/> within <paramref name="allowance"/>, which the task may extend while it runs,
    /// and rethrows its exception.
    /// </summary>
    /// <exception cref="FuzzFindingException">It did not finish in time: a hang.</exception>
    public static void Wait(Task task, string what, FuzzAllowance allowance)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(allowance);
        var clock = Stopwatch.StartNew();
        var done = ((IAsyncResult)task).AsyncWaitHandle;
        while (!done.WaitOne(TimeSpan.FromTicks(Math.Max((allowance.Total - clock.Elapsed).Ticks, 0))))
        {
            // The wait ran out, unless the task extended the allowance meanwhile.
            if (clock.Elapsed >= allowance.Total)
            {
                throw new FuzzFindingException($"hang: {what} did not finish within {allowance}");
            }
        }

        task.GetAwaiter().GetResult();
    }

    /// <summary>Waits for <paramref name="task"/> within <see cref="Time"/> and returns its result.</summary>
    /// <exception cref="FuzzFindingException">It did not finish in time: a hang.</exception>
    public static T Wait<T>(Task<T> task, string what)
    {
        Wait((Task)task, what);
        return task.Result;
    }

    /// <summary>Runs <paramref name="action"/> and checks how much it allocated.</summary>
    /// <exception cref="FuzzFindingException">It allocated more than <see cref="MaxAllocatedBytes"/>.</exception>
    public static void Allocation(FuzzAction action, ReadOnlySpan<byte> input)
    {
        ArgumentNullException.ThrowIfNull(action);
        var before = GC.GetTotalAllocatedBytes();
        action(input);
        var allocated = GC.GetTotalAllocatedBytes() - before;
        if (allocated > MaxAllocatedBytes)
        {
            throw new FuzzFindingException($"allocation: one input allocated {allocated} bytes, more than the bound of {MaxAllocatedBytes}");
        }
    }
}

/// <summary>
/// A time budget that may grow while its work runs: <see cref="FuzzBudget.Time"/>, plus what the work adds once its
/// input turns out to ask for legitimately slow work (<see cref="FuzzBudget.PadTime"/> a QPP pad). Only grows.
/// </summary>
public sealed class FuzzAllowance
{
    private readonly List<string> _reasons = [];
    private long _extraTicks;

    /// <summary>The budget so far.</summary>
    public TimeSpan Total => FuzzBudget.Time + TimeSpan.FromTicks(Interlocked.Read(ref _extraTicks));

    /// <summary>Adds <paramref name="time"/>, for <paramref name="reason"/> (a hang's message names it).</summary>
    public void Add(TimeSpan time, string reason)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(time, TimeSpan.Zero);
        lock (_reasons)
        {
            _reasons.Add(reason);
        }

        Interlocked.Add(ref _extraTicks, time.Ticks);
    }

    /// <summary>"5 s", or "21.4 s (5 s + 65535 QPP pads)".</summary>
    public override string ToString()
    {
        string total = Total.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture) + " s";
        lock (_reasons)
        {
            return _reasons.Count == 0
                ? total
                : $"{total} ({FuzzBudget.Time.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture)} s + {string.Join(" + ", _reasons)})";
        }
    }
}
