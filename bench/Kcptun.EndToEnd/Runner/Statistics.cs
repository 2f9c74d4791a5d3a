namespace Kcptun.EndToEnd.Runner;

/// <summary>Order statistics used in the reports.</summary>
public static class Statistics
{
    /// <summary>
    /// The <paramref name="percent"/>-th percentile with linear interpolation between closest ranks (numpy's
    /// default); NaN values are ignored; NaN when nothing is left.
    /// </summary>
    public static double Percentile(IEnumerable<double> values, double percent)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentOutOfRangeException.ThrowIfLessThan(percent, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(percent, 100);
        var sorted = values.Where(v => !double.IsNaN(v)).Order().ToArray();
        if (sorted.Length == 0)
        {
            return double.NaN;
        }

        var rank = percent / 100 * (sorted.Length - 1);
        var low = (int)Math.Floor(rank);
        var high = (int)Math.Ceiling(rank);
        return sorted[low] + ((sorted[high] - sorted[low]) * (rank - low));
    }

    /// <summary>The median (50th percentile).</summary>
    public static double Median(IEnumerable<double> values) => Percentile(values, 50);

    /// <summary><paramref name="ours"/> / <paramref name="baseline"/>; NaN when either is missing or the baseline is 0.</summary>
    public static double Ratio(double ours, double baseline) =>
        double.IsNaN(ours) || double.IsNaN(baseline) || baseline == 0 ? double.NaN : ours / baseline;
}
