using Kcptun.Cli.Configuration;
using Kcptun.Cli.Hosting;


namespace Kcptun.Tests.Tunnel;

public class GoTimeLayoutTests
{
    private static readonly DateTimeOffset s_time = new(2026, 11, 5, 14, 7, 9, 123, TimeSpan.FromHours(-7));

    [Theory]
    [InlineData("snmp-20060102.log", "snmp-20261105.log")]
    [InlineData("snmp-20060102-1.log", "snmp-20261105-11.log")]
    [InlineData("kcp1.log", "kcp11.log")]
    [InlineData("2006-01-02T15:04:05", "2026-11-05T14:07:09")]
    [InlineData("Jan _2 3:4:5 PM pm", "Nov  5 2:7:9 PM pm")]
    [InlineData("January Monday Mon", "November Thursday Thu")]
    [InlineData("Janet Month", "Janet Month")]
    [InlineData("06 002 __2", "26 309 309")]
    [InlineData("-0700 -07:00 -07 Z0700", "-0700 -07:00 -07 -0700")]
    [InlineData(".000 ,999 .9 .0001", ".123 ,123 .1 .0011")] // ".0001" is no fraction (a digit follows), so "01" is the month
    [InlineData("_2006", "_2026")]
    [InlineData("plain.csv", "plain.csv")]
    public void Formats_like_Go(string layout, string expected) => Assert.Equal(expected, GoTimeLayout.Format(s_time, layout));

    [Fact]
    public void Utc_zone_elements()
    {
        var utc = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);
        Assert.Equal("Z Z UTC", GoTimeLayout.Format(utc, "Z0700 Z07:00 MST"));
    }

    [Fact]
    public void Only_the_file_name_part_is_formatted()
    {
        Assert.Equal("./dir-2006/snmp-20261105.log", SnmpReport.FileName("./dir-2006/snmp-20060102.log", s_time));
    }
}
