namespace Kcptun.Fuzz;

/// <summary>
/// A target noticed something wrong that is not an exception of the code under test: an input that ran past its time
/// budget (a hang), allocated past its bound, or broke an invariant (a dropped packet that was not counted, a round
/// trip that did not give the plaintext back). Escapes the target like any unexpected exception, so afl-fuzz records
/// the input as a crash.
/// </summary>
public sealed class FuzzFindingException : Exception
{
    /// <summary>Creates the finding.</summary>
    public FuzzFindingException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the finding.</summary>
    public FuzzFindingException()
        : this("fuzz finding")
    {
    }

    /// <summary>Creates the finding with its cause.</summary>
    public FuzzFindingException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Throws unless <paramref name="condition"/> holds.</summary>
    public static void Check(bool condition, string invariant)
    {
        if (!condition)
        {
            throw new FuzzFindingException("invariant broken: " + invariant);
        }
    }
}
