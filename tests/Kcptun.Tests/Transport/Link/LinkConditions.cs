namespace Kcptun.Tests.Transport.Link;

/// <summary>What an <see cref="InMemoryNetwork"/> does to every datagram, in both directions (decided per flow, seeded).</summary>
internal sealed record LinkConditions
{
    /// <summary>A perfect link with a 5 ms one-way delay (10 ms RTT).</summary>
    public static LinkConditions Perfect { get; } = new();

    /// <summary>Probability that a datagram is lost.</summary>
    public double Loss { get; init; }

    /// <summary>Probability that a datagram that is not lost arrives twice (the copy with its own delay).</summary>
    public double Duplicate { get; init; }

    /// <summary>One-way delay of every datagram.</summary>
    public TimeSpan Delay { get; init; } = TimeSpan.FromMilliseconds(5);

    /// <summary>Extra delay drawn uniformly from [0, Jitter) per datagram: datagrams overtake one another.</summary>
    public TimeSpan Jitter { get; init; }
}
