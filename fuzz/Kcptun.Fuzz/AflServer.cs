using System.Runtime.InteropServices;
using SharpFuzz.Common;

namespace Kcptun.Fuzz;

/// <summary>
/// Serves afl-fuzz in-process (persistent mode): speaks AFL++'s fork server protocol on descriptors 198/199 but runs
/// every input in this one process, and takes the inputs from AFL++'s shared-memory test case (<c>__AFL_SHM_FUZZ_ID</c>:
/// a u32 length, then the bytes) when afl-fuzz offers it, else from standard input (afl-tmin, afl-showmap).
/// Replaces SharpFuzz's <c>Fuzzer.Run</c>, which reads every input from the file behind standard input and allocates
/// per input; SharpFuzz still instruments the assemblies and its <see cref="Trace"/> map is pointed at afl-fuzz's.
/// A finding (an exception out of the target) is reported as a SIGABRT death, so afl-fuzz saves it as a crash; a hang
/// is afl-fuzz's timeout killing this process (the reported child is the server itself), as with SharpFuzz.
/// </summary>
internal static unsafe partial class AflServer
{
    private const uint OptionsEnabled = 0x80000001;
    private const uint SharedMemoryInput = 0x01000000;
    private const int ControlFd = 198;
    private const int StatusFd = 199;
    private const int CrashStatus = 6;
    private const int MapSize = 1 << 16;

    /// <summary>afl-fuzz's largest test case (MAX_FILE).</summary>
    private const int MaxInput = 1 << 20;

    /// <summary>
    /// Serves afl-fuzz until it closes the control pipe. Returns false without doing anything outside afl-fuzz
    /// (no <c>__AFL_SHM_ID</c>). <paramref name="run"/> throws for a finding.
    /// </summary>
    public static bool Serve(Action<ReadOnlySpan<byte>> run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var map = Attach("__AFL_SHM_ID");
        if (map is null)
        {
            return false;
        }

        Trace.SharedMem = map;
        var shared = Attach("__AFL_SHM_FUZZ_ID");
        WriteStatus(shared is null ? 0 : OptionsEnabled | SharedMemoryInput);
        if (shared is not null && !ReadControl())
        {
            return true;
        }

        var buffer = new byte[MaxInput];
        uint pid = (uint)Environment.ProcessId;
        bool first = true;
        while (ReadControl())
        {
            WriteStatus(pid);
            var input = buffer.AsSpan(0, shared is null ? ReadStandardInput(buffer) : CopyShared(shared, buffer));
            if (first)
            {
                // Static constructors and first-call paths run once: keep their edges out of afl-fuzz's view so the
                // first input does not look unstable (SharpFuzz does the same).
                Execute(run, input);
                new Span<byte>(map, MapSize).Clear();
                first = false;
            }

            Trace.PrevLocation = 0;
            WriteStatus(Execute(run, input) ? 0u : CrashStatus);
        }

        return true;
    }

    private static bool Execute(Action<ReadOnlySpan<byte>> run, ReadOnlySpan<byte> input)
    {
        try
        {
            run(input);
            return true;
        }
        catch (Exception)
        {
            return false;
        }
    }

    private static int CopyShared(byte* shared, byte[] buffer)
    {
        int length = (int)Math.Min(*(uint*)shared, MaxInput);
        new ReadOnlySpan<byte>(shared + sizeof(uint), length).CopyTo(buffer);
        return length;
    }

    private static int ReadStandardInput(byte[] buffer)
    {
        // afl-fuzz rewinds the test case file behind descriptor 0 before every run.
        int total = 0;
        fixed (byte* p = buffer)
        {
            while (total < buffer.Length)
            {
                nint n = Read(0, p + total, buffer.Length - total);
                if (n <= 0)
                {
                    break;
                }

                total += (int)n;
            }
        }

        return total;
    }

    private static bool ReadControl()
    {
        uint value;
        return Read(ControlFd, &value, sizeof(uint)) == sizeof(uint);
    }

    private static void WriteStatus(uint value)
    {
        if (Write(StatusFd, &value, sizeof(uint)) != sizeof(uint))
        {
            Environment.Exit(1);
        }
    }

    private static byte* Attach(string variable)
    {
        if (!int.TryParse(Environment.GetEnvironmentVariable(variable), out var id))
        {
            return null;
        }

        var address = SharedMemoryAttach(id, 0, 0);
        return address == -1 ? throw new InvalidOperationException($"shmat({variable}={id}) failed: errno {Marshal.GetLastPInvokeError()}") : (byte*)address;
    }

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    private static partial nint Read(int fd, void* buffer, nint count);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static partial nint Write(int fd, void* buffer, nint count);

    [LibraryImport("libc", EntryPoint = "shmat", SetLastError = true)]
    private static partial nint SharedMemoryAttach(int id, nint address, int flags);
}
