using System.Buffers;

namespace Kcptun.Tunnel;

/// <summary>
/// The copy buffers of every <see cref="StreamPipe"/> in the process: a busy direction gets a
/// <see cref="StreamPipe.BufferSize"/> buffer while fewer than <see cref="LargeLimit"/> are out, a
/// <see cref="SmallSize"/> one beyond (Go kcptun's size). A few bulk streams keep filling whole smux frames; 2,000
/// streams busy at once hold 2,000 x 2 x 4 KiB plus 8 MiB instead of 2,000 x 2 x 32 KiB (128 MiB, issue 16).
/// </summary>
internal static class PipeBuffers
{
    /// <summary>Large buffers out at once, process-wide (2 MiB): 32 bulk streams copying both ways.</summary>
    public const int LargeLimit = 64;

    /// <summary>The size handed out once <see cref="LargeLimit"/> large buffers are out.</summary>
    public const int SmallSize = 4 * 1024;

    private static int s_largeOut;

    /// <summary>Large buffers out now.</summary>
    public static int LargeOut => Volatile.Read(ref s_largeOut);

    /// <summary>A buffer of exactly <see cref="StreamPipe.BufferSize"/> or <see cref="SmallSize"/> bytes; give it back with <see cref="Return"/>.</summary>
    public static byte[] Rent()
    {
        if (Interlocked.Increment(ref s_largeOut) <= LargeLimit)
        {
            return ArrayPool<byte>.Shared.Rent(StreamPipe.BufferSize);
        }

        Interlocked.Decrement(ref s_largeOut);
        return ArrayPool<byte>.Shared.Rent(SmallSize);
    }

    /// <summary>Returns a buffer from <see cref="Rent"/>.</summary>
    public static void Return(byte[] buffer)
    {
        if (buffer.Length >= StreamPipe.BufferSize)
        {
            Interlocked.Decrement(ref s_largeOut);
        }

        ArrayPool<byte>.Shared.Return(buffer);
    }
}
