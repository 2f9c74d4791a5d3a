namespace Kcptun.Kcp.Congestion;

/// <summary>
/// Running maximum of samples over a sliding window of "time" (here: round trips), kept in three (time, value)
/// pairs: the best, the second best after it and the third (Kathleen Nichols' algorithm, as Linux's win_minmax).
/// O(1) per sample, no allocation.
/// </summary>
internal struct WindowedMaxFilter
{
    private Sample _best;
    private Sample _second;
    private Sample _third;

    /// <summary>The maximum over the window (0 before the first sample).</summary>
    public readonly double Value => _best.Value;

    /// <summary>Forgets every sample.</summary>
    public void Reset(long time, double value)
    {
        _best = _second = _third = new Sample(time, value);
    }

    /// <summary>Multiplies every sample by <paramref name="factor"/> (the unit the samples are measured in changed).</summary>
    public void Scale(double factor)
    {
        _best = _best with { Value = _best.Value * factor };
        _second = _second with { Value = _second.Value * factor };
        _third = _third with { Value = _third.Value * factor };
    }

    /// <summary>Adds <paramref name="value"/> measured at <paramref name="time"/>; samples older than <paramref name="window"/> expire.</summary>
    public void Update(long time, double value, long window)
    {
        var sample = new Sample(time, value);
        if (value >= _best.Value || time - _third.Time > window)
        {
            Reset(time, value); // a new maximum, or nothing left in the window
            return;
        }

        if (value >= _second.Value)
        {
            _second = _third = sample;
        }
        else if (value >= _third.Value)
        {
            _third = sample;
        }

        // Age the three pairs: when the best expires the second takes over, and so on.
        var age = time - _best.Time;
        if (age > window)
        {
            _best = _second;
            _second = _third;
            _third = sample;
            if (time - _best.Time > window)
            {
                _best = _second;
                _second = _third;
                _third = sample;
            }
        }
        else if (_second.Time == _best.Time && age > window / 4)
        {
            // A quarter of the window passed without a second choice: take one from the current samples.
            _second = _third = sample;
        }
        else if (_third.Time == _second.Time && age > window / 2)
        {
            _third = sample;
        }
    }

    private readonly record struct Sample(long Time, double Value);
}
