using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using SharpFuzz.Common;

namespace Kcptun.Fuzz;

/// <summary>
/// The managed side of <c>fuzz/libfuzzer/host.c</c> (kcptun-libfuzzer): libFuzzer runs in this process and calls
/// <see cref="Run"/> for every input. A finding cannot unwind into libFuzzer's native frames, and .NET's own signal
/// handlers keep libFuzzer's crash handler out, so a finding prints its stack trace here and exits: libFuzzer sees
/// "fuzz target exited" and saves the input as <c>crash-SHA1</c> in its <c>-artifact_prefix</c>. A hang is libFuzzer's
/// <c>-timeout</c> (<c>timeout-SHA1</c>) or, for the asynchronous targets, <see cref="FuzzBudget.Time"/> (a crash).
/// </summary>
public static unsafe class LibFuzzerEntry
{
    private const int MapSize = 1 << 16;
    private static FuzzTarget? s_target;

    /// <summary>Picks the target and returns the coverage map libFuzzer is to read (null for an unknown target).</summary>
    [UnmanagedCallersOnly]
    public static byte* Initialize(byte* name, int length)
    {
        s_target = FuzzTargets.Find(Encoding.UTF8.GetString(name, length));
        if (s_target is null)
        {
            return null;
        }

        var map = (byte*)NativeMemory.AllocZeroed(MapSize);
        Trace.SharedMem = map;
        return map;
    }

    /// <summary>Runs one input; returns 0 (libFuzzer's "keep going"), or ends the process on a finding.</summary>
    [UnmanagedCallersOnly]
    public static int Run(byte* data, nint size)
    {
        var input = new ReadOnlySpan<byte>(data, (int)size);
        Trace.PrevLocation = 0;
        try
        {
            FuzzTargets.Run(s_target!, input);
        }
        catch (Exception e)
        {
            Report(e, input);
        }

        return 0;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Report(Exception finding, ReadOnlySpan<byte> input)
    {
        Console.Error.WriteLine($"==kcptun-fuzz== FINDING in {s_target!.Name} ({input.Length} bytes of input): {finding}");
        Console.Error.Flush();
        Environment.Exit(1);
    }
}
