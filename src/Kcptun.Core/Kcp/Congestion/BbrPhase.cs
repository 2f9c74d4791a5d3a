namespace Kcptun.Kcp.Congestion;

/// <summary>The phases of <see cref="BbrController"/> (BBR's modes).</summary>
public enum BbrPhase
{
    /// <summary>Doubling the rate every round trip (gain 2/ln 2) until the bandwidth estimate stops growing.</summary>
    Startup,

    /// <summary>Draining the queue startup built (gain ln 2 / 2) until in flight is down to one BDP.</summary>
    Drain,

    /// <summary>Steady state: cycling the pacing gain 1.25, 0.75, then 1 for six round trips.</summary>
    ProbeBandwidth,

    /// <summary>In flight cut to four segments for 200 ms and a round trip, to measure the path's minimum RTT again.</summary>
    ProbeRtt,
}

/// <summary>What ended <see cref="BbrController"/>'s last startup (diagnostics: <c>kcptun_session_startup_exit</c>).</summary>
public enum StartupExit
{
    /// <summary>Startup has not ended yet.</summary>
    None,

    /// <summary>Three round trips without 25% more bandwidth (BBR's full-pipe plateau).</summary>
    Plateau,

    /// <summary>A round trip whose shortest RTT showed a standing queue.</summary>
    Queue,

    /// <summary>A round trip whose retransmissions were a loss burst (<see cref="BbrController.HeavyLossRate"/>).</summary>
    HeavyLoss,
}
