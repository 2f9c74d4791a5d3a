namespace Kcptun.EndToEnd.Emulation;

/// <summary>The two-state burst-loss chain of <see cref="GilbertElliottParameters"/> driven by a caller's RNG.</summary>
public sealed class GilbertElliott
{
    private readonly GilbertElliottParameters _parameters;

    /// <summary>Starts in the Good state.</summary>
    public GilbertElliott(GilbertElliottParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        _parameters = parameters;
    }

    /// <summary>True while the chain is in the Bad state.</summary>
    public bool InBadState { get; private set; }

    /// <summary>Advances the chain by one packet and tells whether that packet is lost.</summary>
    public bool NextIsLost(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var transition = random.NextDouble();
        InBadState = InBadState ? transition >= _parameters.LeaveBad : transition < _parameters.EnterBad;
        var lossProbability = InBadState ? _parameters.LossInBad : _parameters.LossInGood;
        return lossProbability > 0 && random.NextDouble() < lossProbability;
    }
}
