using System.Runtime.InteropServices;
using Kcptun.Fuzz;

// Kcptun.Fuzz TARGET          serve afl-fuzz in-process (AflServer: persistent, shared-memory inputs); outside afl-fuzz: stdin, once
// Kcptun.Fuzz TARGET bench DIR SECONDS   run a folder's inputs round and round: the in-process runs/s
// Kcptun.Fuzz TARGET PATH...  replay inputs (files, or every file of a folder); exit 1 when any is a finding
// Kcptun.Fuzz list            the targets
// Kcptun.Fuzz seeds VECTORS OUT   write the seed corpora built from the spec's vectors
// Kcptun.Fuzz dict OUT            write the afl-fuzz dictionaries of the config targets
// Kcptun.Fuzz instrument DLL...   SharpFuzz's coverage instrumentation, in place, of all but Instrumentation.Excluded (run.sh)
// Instrumented code writes its coverage to Trace.SharedMem, which AflServer only points at afl-fuzz's map once it
// serves: before that (resolving a pinned cipher's name, replaying inputs) it needs a scratch map of its own.
unsafe
{
    SharpFuzz.Common.Trace.SharedMem = (byte*)NativeMemory.AllocZeroed(1 << 16);
}

if (args.Length == 0 || args[0] is "-h" or "--help")
{
    Console.Error.WriteLine("usage: Kcptun.Fuzz TARGET [PATH...] | list | seeds VECTORS_DIR OUT_DIR | dict OUT_DIR | instrument DLL...");
    return 2;
}

if (args[0] == "list")
{
    foreach (var target in FuzzTargets.All)
    {
        Console.WriteLine($"{target.Name,-12} {target.Description}");
    }

    Console.WriteLine($"{"protection-CRYPT",-12} protection with the cipher pinned, e.g. protection-aes-128-gcm");
    return 0;
}

if (args[0] == "instrument" && args.Length >= 2)
{
    Instrumentation.Run(args[1..], Console.Out);
    return 0;
}

if (args[0] == "dict" && args.Length == 2)
{
    Dictionaries.Write(args[1]);
    return 0;
}

if (args[0] == "seeds" && args.Length == 3)
{
    SeedCorpus.Write(args[1], args[2]);
    return 0;
}

var selected = FuzzTargets.Find(args[0]);
if (selected is null)
{
    Console.Error.WriteLine($"unknown target \"{args[0]}\"; targets: {string.Join(", ", FuzzTargets.Names())}");
    return 2;
}

if (args.Length == 4 && args[1] == "bench")
{
    Bench.Run(selected, [args[2]], TimeSpan.FromSeconds(double.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture)), Console.Out);
    return 0;
}

if (args.Length > 1)
{
    return Replay.Run(selected, args[1..], Console.Out) == 0 ? 0 : 1;
}

if (!AflServer.Serve(input => FuzzTargets.Run(selected, input)))
{
    // Outside afl-fuzz: one input from standard input.
    using var stdin = Console.OpenStandardInput();
    using var buffer = new MemoryStream();
    stdin.CopyTo(buffer);
    FuzzTargets.Run(selected, buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
}

return 0;
