using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Kcptun.Transport;

/// <summary>
/// The batch datagram calls of Linux (recvmmsg(2), sendmmsg(2)) and poll(2), as kcp-go uses through x/net's
/// ReadBatch/WriteBatch. The structures are laid out for LP64 Linux (x86_64, arm64); <see cref="IsSupported"/> is
/// false anywhere else and callers take the portable <see cref="Socket"/> path.
/// </summary>
internal static unsafe partial class LinuxSocketCalls
{
    /// <summary>recvmmsg: block for the first datagram only, then take what is already queued.</summary>
    public const int MessageWaitForOne = 0x10000;

    /// <summary>msg_flags bit: the datagram was longer than the buffer and was cut.</summary>
    public const int MessageTruncated = 0x20;

    /// <summary>sizeof(struct sockaddr_storage).</summary>
    public const int AddressStorageSize = 128;

    public const short PollIn = 0x1;
    public const short PollOut = 0x4;

    // <errno.h> values of Linux (the same on x86_64 and arm64).
    public const int Interrupted = 4;          // EINTR
    public const int BadDescriptor = 9;        // EBADF
    public const int WouldBlock = 11;          // EAGAIN
    public const int NotImplemented = 38;      // ENOSYS
    public const int NotSocket = 88;           // ENOTSOCK
    public const int MessageTooLong = 90;      // EMSGSIZE
    public const int NetworkDown = 100;        // ENETDOWN
    public const int NetworkUnreachable = 101; // ENETUNREACH
    public const int ConnectionReset = 104;    // ECONNRESET
    public const int NoBufferSpace = 105;      // ENOBUFS
    public const int TimedOut = 110;           // ETIMEDOUT
    public const int ConnectionRefused = 111;  // ECONNREFUSED
    public const int HostUnreachable = 113;    // EHOSTUNREACH
    public const int NotPermitted = 1;         // EPERM (a firewall rule refused the datagram)

    /// <summary>True where the structures below match the kernel's: 64-bit Linux.</summary>
    public static bool IsSupported { get; } = OperatingSystem.IsLinux() && Environment.Is64BitProcess
        && sizeof(MessageHeader) == 64 && sizeof(IoVector) == 16;

    [LibraryImport("libc", EntryPoint = "recvmmsg", SetLastError = true)]
    public static partial int ReceiveMessages(int socket, MessageHeader* messages, uint count, int flags, void* timeout);

    [LibraryImport("libc", EntryPoint = "sendmmsg", SetLastError = true)]
    public static partial int SendMessages(int socket, MessageHeader* messages, uint count, int flags);

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    public static partial int Poll(PollDescriptor* descriptors, nuint count, int timeoutMilliseconds);

    /// <summary>Waits (up to <paramref name="timeoutMilliseconds"/>, -1 forever) until the socket is readable or writable.</summary>
    public static void WaitFor(int socket, short events, int timeoutMilliseconds)
    {
        PollDescriptor descriptor = new() { Descriptor = socket, Events = events };
        _ = Poll(&descriptor, 1, timeoutMilliseconds);
    }

    /// <summary>The <see cref="SocketError"/> of a per-datagram errno (an ICMP report, a full buffer, a filter).</summary>
    public static SocketError ToSocketError(int errno) => errno switch
    {
        MessageTooLong => SocketError.MessageSize,
        ConnectionReset => SocketError.ConnectionReset,
        ConnectionRefused => SocketError.ConnectionRefused,
        HostUnreachable => SocketError.HostUnreachable,
        NetworkUnreachable => SocketError.NetworkUnreachable,
        NetworkDown => SocketError.NetworkDown,
        TimedOut => SocketError.TimedOut,
        NoBufferSpace => SocketError.NoBufferSpaceAvailable,
        WouldBlock => SocketError.WouldBlock,
        Interrupted => SocketError.Interrupted,
        BadDescriptor or NotSocket => SocketError.NotSocket,
        NotPermitted => SocketError.AccessDenied,
        _ => SocketError.SocketError,
    };

    /// <summary>struct iovec.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct IoVector
    {
        public void* Base;
        public nuint Length;
    }

    /// <summary>
    /// struct mmsghdr on LP64 Linux: struct msghdr (name, namelen + pad, iov, iovlen, control, controllen, flags
    /// + pad; 56 bytes) then msg_len + pad: 64 bytes. musl's int-sized iovlen/controllen with their padding read
    /// the same on little-endian machines.
    /// </summary>
    [StructLayout(LayoutKind.Explicit, Size = 64)]
    public struct MessageHeader
    {
        [FieldOffset(0)] public void* Name;
        [FieldOffset(8)] public uint NameLength;
        [FieldOffset(16)] public IoVector* Vectors;
        [FieldOffset(24)] public nuint VectorCount;
        [FieldOffset(32)] public void* Control;
        [FieldOffset(40)] public nuint ControlLength;
        [FieldOffset(48)] public int Flags;

        /// <summary>mmsghdr.msg_len: bytes received or sent for this message.</summary>
        [FieldOffset(56)] public uint Length;
    }

    /// <summary>struct pollfd.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct PollDescriptor
    {
        public int Descriptor;
        public short Events;
        public short ReturnedEvents;
    }
}
