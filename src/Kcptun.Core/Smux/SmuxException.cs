namespace Kcptun.Smux;

/// <summary>A session-level smux failure: the session is closed (keepalive timeout, connection error, ...).</summary>
public class SmuxException : IOException
{
    /// <summary>Creates an exception with no message.</summary>
    public SmuxException()
    {
    }

    /// <summary>Creates an exception with a message.</summary>
    public SmuxException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with a message and its cause.</summary>
    public SmuxException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

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
