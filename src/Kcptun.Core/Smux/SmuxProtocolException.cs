namespace Kcptun.Smux;

/// <summary>
/// The peer broke the smux protocol (bad version, unknown command, impossible length); smux's "invalid protocol".
/// The session stops reading and closes.
/// </summary>
public class SmuxProtocolException : SmuxException
{
    /// <summary>Creates an exception with the default message.</summary>
    public SmuxProtocolException()
        : base("invalid protocol")
    {
    }

    /// <summary>Creates an exception with a message.</summary>
    public SmuxProtocolException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with a message and its cause.</summary>
    public SmuxProtocolException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
