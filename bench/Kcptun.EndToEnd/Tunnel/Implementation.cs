namespace Kcptun.EndToEnd.Tunnel;

/// <summary>One kcptun implementation: where its two programs are.</summary>
/// <param name="Name">Short name used in reports: <c>go</c> or <c>ours</c>.</param>
/// <param name="ClientPath">Path of <c>kcptun-client</c>.</param>
/// <param name="ServerPath">Path of <c>kcptun-server</c>.</param>
public sealed record Implementation(string Name, string ClientPath, string ServerPath)
{
    /// <summary>Both programs exist.</summary>
    public bool IsPresent => File.Exists(ClientPath) && File.Exists(ServerPath);

    /// <summary>The implementation whose programs are <c>kcptun-client</c>/<c>kcptun-server</c> in <paramref name="directory"/>.</summary>
    public static Implementation InDirectory(string name, string directory) =>
        new(name, Path.Combine(directory, "kcptun-client"), Path.Combine(directory, "kcptun-server"));
}

/// <summary>A client implementation paired with a server implementation, written <c>client:server</c>.</summary>
public sealed record Pairing(Implementation Client, Implementation Server)
{
    /// <summary>Report label, e.g. <c>go:go</c> or <c>ours:go</c>.</summary>
    public string Label => $"{Client.Name}:{Server.Name}";
}
