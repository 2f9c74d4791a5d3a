using Kcptun.Crypto;

namespace Kcptun.Fuzz;

/// <summary>
/// The coverage instrumentation fuzz/run.sh applies (SharpFuzz's, in place, to its copies of Kcptun.Core.dll and
/// Snappier.dll): every type but <see cref="Excluded"/>.
/// </summary>
public static class Instrumentation
{
    /// <summary>
    /// Types left uninstrumented, with their nested types. QPP's pad builder runs a fixed loop whose coverage never
    /// depends on the input (3,570 AES blocks a pad, up to 65535 pads), and from 256 pads it runs on every core:
    /// instrumented, both threads update SharpFuzz's one PrevLocation and the same map bytes at every basic block, and
    /// on two idle cores 65535 pads took 17 s (34 s of CPU) instead of 0.6 s, past libFuzzer's 10 s timeout. Its code:
    /// the shuffle, AES-NI's blocks, and BlockFunction's argument checks that EncryptBlocks calls seven times a step.
    /// </summary>
    public static IReadOnlyList<string> Excluded { get; } =
    [
        typeof(QuantumPermutationPad).FullName!,
        typeof(AesNiBlock).FullName!,
        typeof(BlockFunction).FullName!,
    ];

    /// <summary>
    /// Whether the type called <paramref name="typeName"/> (as SharpFuzz's matcher sees it: nested types as
    /// Outer/Inner) is instrumented.
    /// </summary>
    public static bool Includes(string typeName)
    {
        ArgumentNullException.ThrowIfNull(typeName);
        foreach (var excluded in Excluded)
        {
            if (typeName == excluded || typeName.StartsWith(excluded + "/", StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Instruments each assembly in place (SharpFuzz.Fuzzer.Instrument, as the sharpfuzz tool does); prints how many types each got.</summary>
    public static void Run(IEnumerable<string> paths, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(paths);
        ArgumentNullException.ThrowIfNull(output);
        foreach (var path in paths)
        {
            int types = SharpFuzz.Fuzzer.Instrument(path, Includes, SharpFuzz.Options.Value).Count();
            output.WriteLine($"instrumented {types} types of {Path.GetFileName(path)}");
        }
    }
}
