using Kcptun.Transport;

namespace Kcptun.Cli.Hosting;

/// <summary>
/// The KCP sessions one program run has open, for the metrics endpoint and the client's health. Closed sessions are
/// dropped whenever the list is added to or read, so it never holds more than the open ones plus those closed since.
/// </summary>
internal sealed class SessionRegistry
{
    private readonly Lock _gate = new();
    private readonly List<KcpSession> _sessions = [];

    /// <summary>Adds a session just dialled or accepted.</summary>
    public void Add(KcpSession session)
    {
        lock (_gate)
        {
            _sessions.RemoveAll(static s => s.IsClosed);
            _sessions.Add(session);
        }
    }

    /// <summary>The sessions open now.</summary>
    public KcpSession[] Open()
    {
        lock (_gate)
        {
            _sessions.RemoveAll(static s => s.IsClosed);
            return [.. _sessions];
        }
    }
}
