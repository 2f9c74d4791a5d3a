namespace Kcptun.Crypto;

/// <summary>Which Go kcptun generation's <c>--crypt</c> table applies (docs/protocol/crypto.md §3.1 and generations.md §11.2).</summary>
public enum WireGeneration
{
    /// <summary>Debian kcptun 20210922 (kcp-go 5.6.1): 13 names, anything else is AES-256.</summary>
    Debian,

    /// <summary>Latest upstream (kcp-go 5.6.64): adds <c>null</c> and <c>aes-128-gcm</c>, anything else is AES-256.</summary>
    Latest,
}
