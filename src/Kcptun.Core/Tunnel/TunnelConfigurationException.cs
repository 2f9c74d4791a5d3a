namespace Kcptun.Tunnel;

/// <summary>
/// The configuration cannot be run: a bad flag value, a bad JSON file, bad plugin options or a failed validation.
/// The message is meant for the user, one problem a line, each naming the flag, key or file concerned.
/// </summary>
public sealed class TunnelConfigurationException : Exception
{
    /// <summary>Creates the exception for one problem.</summary>
    public TunnelConfigurationException(string message)
        : base(message)
    {
        Problems = [message];
    }

    /// <summary>Creates the exception for several problems, one a line.</summary>
    public TunnelConfigurationException(IReadOnlyList<string> problems)
        : base(string.Join(Environment.NewLine, problems ?? throw new ArgumentNullException(nameof(problems))))
    {
        Problems = problems;
    }

    /// <summary>Creates the exception (serialisation-style constructor for analyzers).</summary>
    public TunnelConfigurationException()
        : this("invalid configuration")
    {
    }

    /// <summary>Creates the exception with an inner cause.</summary>
    public TunnelConfigurationException(string message, Exception innerException)
        : base(message, innerException)
    {
        Problems = [message];
    }

    /// <summary>Every problem found, in the order checked.</summary>
    public IReadOnlyList<string> Problems { get; }
}
