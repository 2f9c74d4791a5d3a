namespace Kcptun.Transport.FakeTcp;

/// <summary>
/// <c>--tcp</c> cannot work here: no raw socket (CAP_NET_RAW), no firewall tool or no right to use it
/// (CAP_NET_ADMIN), not Linux. The message says which and what to do.
/// </summary>
public sealed class FakeTcpException : IOException
{
    /// <summary>Creates the exception with its message.</summary>
    public FakeTcpException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with its message and cause.</summary>
    public FakeTcpException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception without a message (for serializers; prefer the other constructors).</summary>
    public FakeTcpException()
    {
    }
}
