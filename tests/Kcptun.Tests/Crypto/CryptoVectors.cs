using System.Text.Json;
using Kcptun.Tests.Support;

namespace Kcptun.Tests.Crypto;

/// <summary>Shared access to the crypto vector files.</summary>
internal static class CryptoVectors
{
    private static readonly Lazy<JsonElement> s_ciphers = new(() => Load("ciphers.json"));
    private static readonly Lazy<JsonElement> s_datagrams = new(() => Load("datagrams.json"));

    public static byte[] Pass => Vectors.Hex(s_ciphers.Value.GetProperty("pass_hex").GetString()!);

    public static JsonElement Cipher(string crypt) =>
        s_ciphers.Value.GetProperty("ciphers").EnumerateArray().Single(c => c.GetProperty("crypt").GetString() == crypt);

    public static IEnumerable<JsonElement> Ciphers => s_ciphers.Value.GetProperty("ciphers").EnumerateArray();

    public static JsonElement Datagram(string name) =>
        s_datagrams.Value.GetProperty("datagrams").EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);

    public static IEnumerable<JsonElement> Datagrams => s_datagrams.Value.GetProperty("datagrams").EnumerateArray();

    public static JsonElement Load(string file)
    {
        using var doc = Vectors.Load(file);
        return doc.RootElement.Clone();
    }

    public static byte[] HexOf(this JsonElement e, string property) => Vectors.Hex(e.GetProperty(property).GetString()!);

    public static string StringOf(this JsonElement e, string property) => e.GetProperty(property).GetString()!;
}
