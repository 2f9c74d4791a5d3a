using Kcptun.Crypto;
using Kcptun.Tests.Support;

namespace Kcptun.Tests.Crypto;

public class KeyDerivationTests
{
    public static TheoryData<string, string> KdfVectors()
    {
        var data = new TheoryData<string, string>();
        using var doc = Vectors.Load("kdf.json");
        foreach (var v in doc.RootElement.GetProperty("vectors").EnumerateArray())
        {
            data.Add(v.GetProperty("key_string").GetString()!, v.GetProperty("pass_hex").GetString()!);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(KdfVectors))]
    public void DeriveKey_matches_go_pbkdf2(string key, string passHex)
    {
        Assert.Equal(passHex, Vectors.Hex(PacketProtection.DeriveKey(key)));
    }

    [Fact]
    public void Kdf_vectors_cover_five_passwords()
    {
        Assert.Equal(5, KdfVectors().Count);
    }
}
