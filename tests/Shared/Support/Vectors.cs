using System.Text.Json;

namespace Kcptun.Tests.Support;

/// <summary>
/// Finds and loads the Go-produced test vectors in ../shared/spec/vectors beside the repository. Shared by both test
/// projects (compiled into each from tests/Shared).
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
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            foreach (var candidate in new[] { Path.Combine(dir.FullName, "shared", "spec", "vectors"), Path.Combine(dir.FullName, "..", "shared", "spec", "vectors") })
            {
                if (File.Exists(Path.Combine(candidate, "kdf.json")))
                {
                    return Path.GetFullPath(candidate);
                }
            }
        }

        throw new DirectoryNotFoundException("shared/spec/vectors not found above " + AppContext.BaseDirectory);
    }
}
