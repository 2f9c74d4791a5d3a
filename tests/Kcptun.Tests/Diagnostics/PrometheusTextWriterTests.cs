using Kcptun.Diagnostics;

namespace Kcptun.Tests.Diagnostics;

public class PrometheusTextWriterTests
{
    [Fact]
    public void Writes_help_type_and_escaped_labels()
    {
        var text = new PrometheusTextWriter()
            .Family("a_total", "counter", "back\\slash\nnew line")
            .Sample("a_total", 3, [("x", "q\"uo\\te\n"), ("y", "[::1]:80")])
            .Sample("a_total", 0.25)
            .ToString();
        Assert.Equal(
            "# HELP a_total back\\\\slash\\nnew line\n# TYPE a_total counter\na_total{x=\"q\\\"uo\\\\te\\n\",y=\"[::1]:80\"} 3\na_total 0.25\n",
            text);
    }

    [Theory]
    [InlineData("")]
    [InlineData("1abc")]
    [InlineData("a-b")]
    [InlineData("a b")]
    public void Rejects_names_prometheus_would_not_parse(string name)
    {
        Assert.ThrowsAny<ArgumentException>(() => new PrometheusTextWriter().Family(name, "gauge", "h"));
    }
}
