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
