using System.Diagnostics;

namespace Kcptun.Fuzz;

/// <summary>
/// The in-process ceiling of a target: its inputs run round and round, with no fuzzer, for a while. Compared with
/// afl-fuzz's execs/s it tells how much of an exec is the target and how much the fuzzer and its IPC.
/// </summary>
public static class Bench
{
    /// <summary>Runs the inputs of <paramref name="paths"/> through <paramref name="target"/> for <paramref name="duration"/>; prints inputs/s.</summary>
    public static void Run(FuzzTarget target, IEnumerable<string> paths, TimeSpan duration, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(output);
        var inputs = Replay.Files(paths).Select(File.ReadAllBytes).ToArray();
        if (inputs.Length == 0)
        {
            output.WriteLine($"{target.Name}: no inputs");
            return;
        }

        long runs = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < duration)
        {
            foreach (var input in inputs)
            {
                try
                {
                    FuzzTargets.Run(target, input);
                }
                catch (Exception)
                {
                    // A finding still counts as a run: the rate is what matters here.
                }

                runs++;
            }
        }

        output.WriteLine($"{target.Name}: {runs} runs of {inputs.Length} inputs in {clock.Elapsed.TotalSeconds:0.0} s, {runs / clock.Elapsed.TotalSeconds:0} runs/s");
    }
}
