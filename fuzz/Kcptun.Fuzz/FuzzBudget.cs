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

    /// <summary>Waits for <paramref name="task"/> within <see cref="Time"/> and rethrows its exception.</summary>
    /// <exception cref="FuzzFindingException">It did not finish in time: a hang.</exception>
    public static void Wait(Task task, string what)
    {
        ArgumentNullException.ThrowIfNull(task);
        if (!((IAsyncResult)task).AsyncWaitHandle.WaitOne(Time))
        {
            throw new FuzzFindingException($"hang: {what} did not finish within {Time.TotalSeconds:0} s");
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
