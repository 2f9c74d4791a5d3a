using System.Globalization;

namespace Kcptun.EndToEnd.Emulation;

/// <summary>
/// Impairments of one direction of the emulated link. Every probability is a percentage (0..100).
/// Parsed from and printed as <c>delay=25,jitter=1,loss=1,ge=p:r:good:bad,reorder=1,gap=10,dup=0.1,rate=100,queue=262144</c>.
/// </summary>
public sealed record LinkProfile
{
    /// <summary>One-way delay in milliseconds.</summary>
    public double DelayMs { get; init; }

    /// <summary>Uniform jitter of +/- this many milliseconds around <see cref="DelayMs"/>; it never reorders on its own.</summary>
    public double JitterMs { get; init; }

    /// <summary>Independent (Bernoulli) loss in percent.</summary>
    public double LossPercent { get; init; }

    /// <summary>Burst loss (Gilbert-Elliott), applied in addition to <see cref="LossPercent"/>; null when off.</summary>
    public GilbertElliottParameters? BurstLoss { get; init; }

    /// <summary>Share of packets (percent) held back by an extra <see cref="ReorderGapMs"/>, so later ones overtake them.</summary>
    public double ReorderPercent { get; init; }

    /// <summary>Extra delay of a reordered packet in milliseconds.</summary>
    public double ReorderGapMs { get; init; } = 5;

    /// <summary>Share of packets (percent) delivered twice.</summary>
    public double DuplicatePercent { get; init; }

    /// <summary>Rate cap in Mbit/s (10^6 bit/s); 0 = unlimited.</summary>
    public double RateMbps { get; init; }

    /// <summary>Bound of the queue in front of the rate cap, in bytes; a packet that does not fit is tail-dropped.</summary>
    public int QueueBytes { get; init; } = 256 * 1024;

    /// <summary>A link with no impairment at all.</summary>
    public static LinkProfile Perfect { get; } = new();

    /// <summary>True when the profile changes nothing (the emulator then only forwards).</summary>
    public bool IsPerfect => DelayMs == 0 && JitterMs == 0 && LossPercent == 0 && BurstLoss is null
        && ReorderPercent == 0 && DuplicatePercent == 0 && RateMbps == 0;

    /// <summary>Parses the comma-separated <c>key=value</c> form; unknown keys and bad numbers throw <see cref="FormatException"/>.</summary>
    public static LinkProfile Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var profile = new LinkProfile();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new FormatException($"link setting '{part}' is not key=value");
            }

            var key = part[..eq];
            var value = part[(eq + 1)..];
            profile = key switch
            {
                "delay" => profile with { DelayMs = Number(key, value) },
                "jitter" => profile with { JitterMs = Number(key, value) },
                "loss" => profile with { LossPercent = Percent(key, value) },
                "ge" => profile with { BurstLoss = GilbertElliottParameters.Parse(value) },
                "reorder" => profile with { ReorderPercent = Percent(key, value) },
                "gap" => profile with { ReorderGapMs = Number(key, value) },
                "dup" => profile with { DuplicatePercent = Percent(key, value) },
                "rate" => profile with { RateMbps = Number(key, value) },
                "queue" => profile with { QueueBytes = checked((int)Number(key, value)) },
                _ => throw new FormatException($"unknown link setting '{key}'"),
            };
        }

        return profile;
    }

    /// <inheritdoc/>
    public override string ToString()
    {
        var parts = new List<string>();
        var c = CultureInfo.InvariantCulture;
        if (DelayMs != 0) parts.Add(string.Create(c, $"delay={DelayMs}"));
        if (JitterMs != 0) parts.Add(string.Create(c, $"jitter={JitterMs}"));
        if (LossPercent != 0) parts.Add(string.Create(c, $"loss={LossPercent}"));
        if (BurstLoss is { } ge) parts.Add($"ge={ge}");
        if (ReorderPercent != 0) parts.Add(string.Create(c, $"reorder={ReorderPercent},gap={ReorderGapMs}"));
        if (DuplicatePercent != 0) parts.Add(string.Create(c, $"dup={DuplicatePercent}"));
        if (RateMbps != 0) parts.Add(string.Create(c, $"rate={RateMbps},queue={QueueBytes}"));
        return parts.Count == 0 ? "perfect" : string.Join(',', parts);
    }

    private static double Number(string key, string value)
    {
        if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) || number < 0
            || double.IsInfinity(number))
        {
            throw new FormatException($"link setting '{key}' needs a number >= 0, got '{value}'");
        }

        return number;
    }

    private static double Percent(string key, string value)
    {
        var number = Number(key, value);
        return number <= 100 ? number : throw new FormatException($"link setting '{key}' is a percentage, got '{value}'");
    }
}

/// <summary>
/// Gilbert-Elliott burst loss: a Good and a Bad state; before each packet the chain moves Good->Bad with
/// probability <see cref="EnterBad"/> and Bad->Good with <see cref="LeaveBad"/>, then the packet is lost with the
/// state's loss probability. Stationary loss = (r * lossGood + p * lossBad) / (p + r); mean bad sojourn = 1 / r.
/// All four are probabilities in 0..1.
/// </summary>
public sealed record GilbertElliottParameters(double EnterBad, double LeaveBad, double LossInGood, double LossInBad)
{
    /// <summary>Long-run share of packets lost.</summary>
    public double StationaryLoss => EnterBad + LeaveBad == 0
        ? LossInGood
        : ((LeaveBad * LossInGood) + (EnterBad * LossInBad)) / (EnterBad + LeaveBad);

    /// <summary>Mean number of consecutive packets spent in the Bad state.</summary>
    public double MeanBadRun => LeaveBad == 0 ? double.PositiveInfinity : 1 / LeaveBad;

    /// <summary>Parses <c>p:r:lossGood:lossBad</c> (probabilities 0..1).</summary>
    public static GilbertElliottParameters Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split(':');
        if (parts.Length != 4)
        {
            throw new FormatException($"ge needs p:r:lossGood:lossBad, got '{text}'");
        }

        var values = new double[4];
        for (var i = 0; i < 4; i++)
        {
            if (!double.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out values[i])
                || values[i] < 0 || values[i] > 1)
            {
                throw new FormatException($"ge values are probabilities 0..1, got '{parts[i]}'");
            }
        }

        return new GilbertElliottParameters(values[0], values[1], values[2], values[3]);
    }

    /// <inheritdoc/>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{EnterBad}:{LeaveBad}:{LossInGood}:{LossInBad}");
}
