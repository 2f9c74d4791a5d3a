using System.Text.Json;

namespace Kcptun.Tests.Support;

/// <summary>
/// Loads the Go-produced test vectors of tests/vectors (see its README), which the test project copies next to its
/// assembly. Shared by both test projects (compiled into each from tests/Shared).
/// </summary>
public static class Vectors
{
    private static readonly Lazy<string> s_directory = new(Locate);

    public static string Directory => s_directory.Value;

    public static JsonDocument Load(string fileName) =>
        JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Directory, fileName)));

    public static byte[] Hex(string hex) => Convert.FromHexString(hex);

    public static string Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(bytes);

    private static string Locate()
    {
        var directory = Path.Combine(AppContext.BaseDirectory, "vectors");
        if (!File.Exists(Path.Combine(directory, "kdf.json")))
        {
            throw new DirectoryNotFoundException(
                $"{directory} holds no vectors: the test project copies tests/vectors there (None Include=\"../vectors/**\")");
        }

        return directory;
    }
}
