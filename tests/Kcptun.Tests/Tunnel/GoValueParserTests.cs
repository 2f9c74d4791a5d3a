using Kcptun.Cli.Configuration;


namespace Kcptun.Tests.Tunnel;

public class GoValueParserTests
{
    [Theory]
    [InlineData("1350", 1350)]
    [InlineData("+7", 7)]
    [InlineData("-1", -1)]
    [InlineData("0", 0)]
    [InlineData("0x10", 16)]
    [InlineData("0X1f", 31)]
    [InlineData("01350", 744)]
    [InlineData("0o17", 15)]
    [InlineData("0b101", 5)]
    [InlineData("1_000", 1000)]
    [InlineData("0x_ff", 255)]
    [InlineData("2147483647", int.MaxValue)]
    [InlineData("-2147483648", int.MinValue)]
    public void Integers_follow_Go_base_zero_rules(string text, int expected)
    {
        Assert.Equal(GoValueError.None, GoValueParser.TryParseInt32(text, out var value));
        Assert.Equal(expected, value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("abc")]
    [InlineData("08")]
    [InlineData("0x")]
    [InlineData("1__0")]
    [InlineData("_1")]
    [InlineData("1_")]
    [InlineData("1.5")]
    [InlineData(" 1")]
    [InlineData("--1")]
    public void Malformed_integers_are_parse_errors(string text) =>
        Assert.Equal(GoValueError.Syntax, GoValueParser.TryParseInt32(text, out _));

    [Theory]
    [InlineData("2147483648")]
    [InlineData("-2147483649")]
    [InlineData("99999999999999999999999")]
    public void Too_large_integers_are_range_errors(string text) =>
        Assert.Equal(GoValueError.Range, GoValueParser.TryParseInt32(text, out _));

    [Theory]
    [InlineData("1", true)]
    [InlineData("t", true)]
    [InlineData("T", true)]
    [InlineData("TRUE", true)]
    [InlineData("true", true)]
    [InlineData("True", true)]
    [InlineData("0", false)]
    [InlineData("f", false)]
    [InlineData("F", false)]
    [InlineData("FALSE", false)]
    [InlineData("false", false)]
    [InlineData("False", false)]
    public void Booleans_accept_Go_spellings(string text, bool expected)
    {
        Assert.True(GoValueParser.TryParseBool(text, out var value));
        Assert.Equal(expected, value);
    }

    [Theory]
    [InlineData("yes")]
    [InlineData("tRUE")]
    [InlineData("")]
    public void Other_booleans_are_rejected(string text) => Assert.False(GoValueParser.TryParseBool(text, out _));
}
