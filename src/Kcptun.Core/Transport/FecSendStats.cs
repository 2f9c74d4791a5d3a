namespace Kcptun.Transport;

/// <summary>What a session's FEC encoder has emitted (see <c>KcpSession.FecSend</c>).</summary>
/// <param name="ParityShards">Parity per group now when adaptive, else null.</param>
/// <param name="MinParity">Lowest adaptive parity used so far, else null.</param>
/// <param name="MaxParity">Highest adaptive parity used so far, else null.</param>
/// <param name="EstimatedLoss">The adaptive controller's smoothed raw-loss estimate (0 when not adaptive).</param>
/// <param name="ParityDatagrams">Parity datagrams sent.</param>
/// <param name="Groups">FEC groups completed.</param>
internal readonly record struct FecSendStats(int? ParityShards, int? MinParity, int? MaxParity, double EstimatedLoss,
    long ParityDatagrams, long Groups);
