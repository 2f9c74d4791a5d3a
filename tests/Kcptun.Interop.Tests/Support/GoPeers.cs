namespace Kcptun.Interop.Tests.Support;

/// <summary>One generation of the Go kcptun that the interop tests run against.</summary>
/// <param name="Name">The generation's name, as docs/protocol and test names use it (<c>20210922</c>, <c>20260314</c>).</param>
/// <param name="BinaryFolder">The folder that holds <c>kcptun-client</c> and <c>kcptun-server</c>.</param>
public sealed record GoPeer(string Name, string BinaryFolder)
{
    public string Server => Path.Combine(BinaryFolder, "kcptun-server");

    public string Client => Path.Combine(BinaryFolder, "kcptun-client");

    /// <summary>True when both programs are there (installed by <c>.ci/go-peers</c>).</summary>
    public bool Available => File.Exists(Server) && File.Exists(Client);

    /// <summary>smux 1.5.57 and later: a FIN is a half-close, frame lengths are enforced (docs/protocol/smux.md §8.2, 8.4).</summary>
    public bool HalfClose => Name == GoPeers.Latest.Name;

    /// <summary>The --crypt table this generation uses (20260314 knows aes-128-gcm and null).</summary>
    public Kcptun.Crypto.WireGeneration Generation =>
        Name == GoPeers.Latest.Name ? Kcptun.Crypto.WireGeneration.Latest : Kcptun.Crypto.WireGeneration.Debian;

    public override string ToString() => Name;
}

/// <summary>
/// Where <c>.ci/go-peers</c> puts the Go generations: Debian 12's package in /usr/bin, Debian unstable's 20260314
/// unpacked under <c>$KCPTUN_GO_CACHE</c> (default /var/cache/kcptun-dotnet/go). Keep the two in step.
/// </summary>
public static class GoPeers
{
    public static GoPeer Debian { get; } = new("20210922", "/usr/bin");

    public static GoPeer Latest { get; } = new("20260314", Path.Combine(
        Environment.GetEnvironmentVariable("KCPTUN_GO_CACHE") is { Length: > 0 } cache ? cache : "/var/cache/kcptun-dotnet/go",
        "20260314", "usr", "bin"));

    public static IReadOnlyList<GoPeer> All { get; } = [Debian, Latest];

    /// <summary>The generation with this name (for xunit theory data, which passes strings).</summary>
    public static GoPeer Named(string name) =>
        All.FirstOrDefault(p => p.Name == name) ?? throw new ArgumentException($"no Go generation named {name}", nameof(name));
}
