using System.Globalization;
using OxyPlot;
using OxyPlot.Axes;
using OxyPlot.Legends;
using OxyPlot.Series;

namespace Kcptun.EndToEnd.Report;

/// <summary>SVG charts (OxyPlot, no native dependencies): throughput and p99 latency against loss, per RTT.</summary>
public static class Charts
{
    private static readonly OxyColor[] Palette =
    [
        OxyColor.FromRgb(0x1f, 0x77, 0xb4), OxyColor.FromRgb(0xd6, 0x27, 0x28), OxyColor.FromRgb(0x2c, 0xa0, 0x2c),
        OxyColor.FromRgb(0xff, 0x7f, 0x0e), OxyColor.FromRgb(0x94, 0x67, 0xbd), OxyColor.FromRgb(0x8c, 0x56, 0x4b),
    ];

    /// <summary>Writes one chart per RTT and figure into <paramref name="directory"/>; returns the file names.</summary>
    public static List<string> Write(IReadOnlyList<Summary> summaries, string directory, string prefix)
    {
        ArgumentNullException.ThrowIfNull(summaries);
        var files = new List<string>();
        foreach (var rtt in summaries.Where(s => s.RttMs > 0).Select(s => s.RttMs).Distinct().Order())
        {
            var atRtt = summaries.Where(s => s.RttMs == rtt).ToList();
            if (atRtt.Select(s => s.LossPercent).Distinct().Count() < 2)
            {
                continue; // one loss value is a point, not a curve
            }

            foreach (var (key, title, unit) in new[]
                     {
                         ("bulk1", "1-stream throughput", "MB/s"),
                         ("bulk8", "8-stream throughput", "MB/s"),
                         ("p99", "p99 request/response latency", "ms"),
                     })
            {
                var name = string.Create(CultureInfo.InvariantCulture, $"{prefix}-{key}-rtt{rtt:0}.svg");
                var model = Chart(atRtt, key, string.Create(CultureInfo.InvariantCulture,
                    $"{title}, RTT {rtt:0} ms, {Runner.ScenarioCatalog.WanRateMbps:0} Mbit/s cap"), unit);
                using var stream = File.Create(Path.Combine(directory, name));
                // The PDF context carries real Helvetica metrics, so titles and legends are measured, not guessed.
                new SvgExporter { Width = 760, Height = 440, TextMeasurer = new GenerousMeasurer() }
                    .Export(model, stream);
                files.Add(name);
            }
        }

        return files;
    }

    /// <summary>
    /// Helvetica metrics from the PDF context, widened by two fifths: viewers substitute wider fonts (DejaVu Sans) and
    /// OxyPlot clips legend text to the measured box.
    /// </summary>
    private sealed class GenerousMeasurer() : PdfRenderContext(760, 440, OxyColors.White)
    {
        public override OxySize MeasureText(string text, string fontFamily, double fontSize, double fontWeight)
        {
            var size = base.MeasureText(text, fontFamily, fontSize, fontWeight);
            return new OxySize(size.Width * 1.4, size.Height);
        }
    }

    private static PlotModel Chart(List<Summary> summaries, string key, string title, string unit)
    {
        var model = new PlotModel
        {
            Title = title, Background = OxyColors.White, TitleFontSize = 15, Padding = new OxyThickness(8, 12, 24, 8),
            DefaultFont = "Arial", // metric-compatible with the Helvetica metrics used to lay the text out
        };
        model.Axes.Add(new LinearAxis
        {
            Position = AxisPosition.Bottom, Title = "loss per direction (%)", Minimum = -0.5,
            Maximum = summaries.Max(s => s.LossPercent) + 0.5, MajorGridlineStyle = LineStyle.Dot,
        });
        model.Axes.Add(new LinearAxis
        {
            Position = AxisPosition.Left, Title = unit, Minimum = 0, MaximumPadding = 0.25, MajorGridlineStyle = LineStyle.Dot,
        });
        model.Legends.Add(new Legend
        {
            LegendPosition = LegendPosition.TopLeft, LegendPlacement = LegendPlacement.Inside,
            LegendOrientation = LegendOrientation.Horizontal, LegendBackground = OxyColor.FromAColor(220, OxyColors.White),
            LegendBorder = OxyColors.Gray, LegendPadding = 10, LegendItemSpacing = 28,
        });
        var index = 0;
        foreach (var group in summaries.GroupBy(s => (s.Pair, s.Mode)).OrderBy(g => g.Key.Mode).ThenBy(g => g.Key.Pair))
        {
            var color = Palette[index++ % Palette.Length];
            var series = new LineSeries
            {
                Title = $"{group.Key.Pair} {group.Key.Mode}",
                Color = color,
                MarkerType = group.Key.Pair.StartsWith("go", StringComparison.Ordinal) ? MarkerType.Circle : MarkerType.Square,
                MarkerFill = color,
                LineStyle = group.Key.Pair.StartsWith("go", StringComparison.Ordinal) ? LineStyle.Dash : LineStyle.Solid,
            };
            foreach (var s in group.OrderBy(s => s.LossPercent))
            {
                if (!double.IsNaN(s[key]))
                {
                    series.Points.Add(new DataPoint(s.LossPercent, s[key]));
                }
            }

            model.Series.Add(series);
        }

        return model;
    }
}
