using Kcptun.Cli.Configuration;
using Kcptun.Diagnostics;
using Kcptun.Transport;
using Kcptun.Tunnel;

namespace Kcptun.Cli.Hosting;

/// <summary>
/// The <c>/metrics</c> page: the process-wide SNMP counters (monotonic ones as counters named <c>kcptun_*_total</c>,
/// CurrEstab and MaxConn as gauges), open sessions and streams, streams and sessions the server refused, the configured FEC geometry and rate limit, and per
/// open KCP session its RTT, windows, queue and byte counters, labelled by conversation and addresses. Nothing here
/// is derived from the key.
/// </summary>
internal static class MetricsReport
{
    // Debian field name -> (metric name, HELP); the two non-monotonic fields are gauges.
    private static readonly (string Field, string Name, string Help)[] s_fields =
    [
        ("BytesSent", "kcptun_bytes_sent_total", "Bytes the KCP sessions sent, before FEC and encryption (SNMP BytesSent)."),
        ("BytesReceived", "kcptun_bytes_received_total", "Bytes the KCP sessions delivered (SNMP BytesReceived)."),
        ("MaxConn", "kcptun_max_conn", "Most KCP sessions established at once (SNMP MaxConn)."),
        ("ActiveOpens", "kcptun_active_opens_total", "KCP sessions dialled (SNMP ActiveOpens)."),
        ("PassiveOpens", "kcptun_passive_opens_total", "KCP sessions accepted (SNMP PassiveOpens)."),
        ("CurrEstab", "kcptun_curr_estab", "KCP sessions established now (SNMP CurrEstab)."),
        ("InErrs", "kcptun_in_errs_total", "Datagrams dropped as malformed (SNMP InErrs)."),
        ("InCsumErrors", "kcptun_in_csum_errors_total", "Datagrams failing decryption or checksum (SNMP InCsumErrors)."),
        ("KCPInErrors", "kcptun_kcp_in_errors_total", "Packets KCP rejected on input (SNMP KCPInErrors)."),
        ("InPkts", "kcptun_in_pkts_total", "UDP datagrams received (SNMP InPkts)."),
        ("OutPkts", "kcptun_out_pkts_total", "UDP datagrams sent (SNMP OutPkts)."),
        ("InSegs", "kcptun_in_segs_total", "KCP segments received (SNMP InSegs)."),
        ("OutSegs", "kcptun_out_segs_total", "KCP segments sent (SNMP OutSegs)."),
        ("InBytes", "kcptun_in_bytes_total", "UDP payload bytes received (SNMP InBytes)."),
        ("OutBytes", "kcptun_out_bytes_total", "UDP payload bytes sent (SNMP OutBytes)."),
        ("RetransSegs", "kcptun_retrans_segs_total", "KCP segments retransmitted (SNMP RetransSegs)."),
        ("FastRetransSegs", "kcptun_fast_retrans_segs_total", "KCP segments fast-retransmitted (SNMP FastRetransSegs)."),
        ("EarlyRetransSegs", "kcptun_early_retrans_segs_total", "KCP segments early-retransmitted (SNMP EarlyRetransSegs)."),
        ("LostSegs", "kcptun_lost_segs_total", "KCP segments retransmitted after a timeout (SNMP LostSegs)."),
        ("RepeatSegs", "kcptun_repeat_segs_total", "Duplicate KCP segments received (SNMP RepeatSegs)."),
        ("FECParityShards", "kcptun_fec_parity_shards_total", "FEC parity shards received (SNMP FECParityShards)."),
        ("FECErrs", "kcptun_fec_errs_total", "FEC groups that failed to decode (SNMP FECErrs)."),
        ("FECRecovered", "kcptun_fec_recovered_total", "Data shards recovered by FEC (SNMP FECRecovered)."),
        ("FECShortShards", "kcptun_fec_short_shards_total", "FEC groups too short to recover (SNMP FECShortShards)."),
    ];

    /// <summary>Renders the page for one program run.</summary>
    public static string Render(TunnelOptions options, SessionRegistry sessions, SnmpCounters global, TunnelGauges gauges)
    {
        var writer = new PrometheusTextWriter();
        var values = global.Snapshot();
        var names = SnmpCounters.DebianFieldNames;
        for (var i = 0; i < names.Count; i++)
        {
            var field = Array.Find(s_fields, f => f.Field == names[i]);
            var type = field.Name.EndsWith("_total", StringComparison.Ordinal) ? "counter" : "gauge";
            writer.Family(field.Name, type, field.Help).Sample(field.Name, values[i]);
        }

        var open = sessions.Open();
        writer.Family("kcptun_sessions_open", "gauge", "KCP sessions this program has open.").Sample("kcptun_sessions_open", open.Length);
        writer.Family("kcptun_streams_open", "gauge", "Tunnelled smux streams open.").Sample("kcptun_streams_open", Volatile.Read(ref gauges.OpenStreams));
        writer.Family("kcptun_refused_streams_total", "counter", "Streams the server refused: their session already had the most streams it may have open.").Sample("kcptun_refused_streams_total", Interlocked.Read(ref gauges.RefusedStreams));
        writer.Family("kcptun_refused_sessions_total", "counter", "Datagrams opening a new KCP session that the server dropped: the session limit reached or the accept backlog full (a client's retries count each).").Sample("kcptun_refused_sessions_total", Interlocked.Read(ref gauges.RefusedSessions));
        writer.Family("kcptun_fec_data_shards", "gauge", "Configured FEC data shards (0: FEC off).").Sample("kcptun_fec_data_shards", KcpSessionOptions.IsFecEnabled(options.DataShards, options.ParityShards) ? options.DataShards : 0);
        writer.Family("kcptun_fec_parity_shards", "gauge", "Configured FEC parity shards (0: FEC off).").Sample("kcptun_fec_parity_shards", KcpSessionOptions.IsFecEnabled(options.DataShards, options.ParityShards) ? options.ParityShards : 0);
        writer.Family("kcptun_rate_limit_bytes_per_second", "gauge", "Configured send rate limit per session in bytes per second (0: unlimited).").Sample("kcptun_rate_limit_bytes_per_second", Math.Max(0, options.RateLimit));
        WriteSessions(writer, open);
        return writer.ToString();
    }

    private static void WriteSessions(PrometheusTextWriter writer, KcpSession[] open)
    {
        var rows = new (string Conversation, string Local, string Remote, SessionMetrics Kcp, long Sent, long Received)[open.Length];
        for (var i = 0; i < open.Length; i++)
        {
            var s = open[i];
            rows[i] = (s.Conversation.ToString(System.Globalization.CultureInfo.InvariantCulture), EndpointResolver.Format(s.LocalEndPoint),
                EndpointResolver.Format(s.RemoteEndPoint), s.ReadMetrics(), Volatile.Read(ref s.Counters.BytesSent), Volatile.Read(ref s.Counters.BytesReceived));
        }

        Family("kcptun_session_srtt_seconds", "gauge", "Smoothed round-trip time of the session.", r => r.Kcp.SmoothedRoundTripTime / 1000.0);
        Family("kcptun_session_rttvar_seconds", "gauge", "Round-trip time variance of the session.", r => r.Kcp.RoundTripTimeVariance / 1000.0);
        Family("kcptun_session_rto_seconds", "gauge", "Retransmission timeout of the session.", r => r.Kcp.RetransmissionTimeout / 1000.0);
        Family("kcptun_session_send_window_segments", "gauge", "Send window of the session.", r => r.Kcp.SendWindow);
        Family("kcptun_session_receive_window_segments", "gauge", "Receive window of the session.", r => r.Kcp.ReceiveWindow);
        Family("kcptun_session_remote_window_segments", "gauge", "Window the peer last advertised.", r => r.Kcp.RemoteWindow);
        Family("kcptun_session_congestion_window_segments", "gauge", "KCP congestion window of the session (--cc kcp; the bbr cap is kcptun_session_inflight_cap_bytes).", r => r.Kcp.CongestionWindow);
        Family("kcptun_session_waiting_segments", "gauge", "Segments queued or in flight (snd_queue plus snd_buf: not yet acknowledged, or acknowledged behind a hole).", r => r.Kcp.WaitingToSend);
        Family("kcptun_session_queued_segments", "gauge", "Segments accepted from the streams and not yet transmitted (snd_queue).", r => r.Kcp.QueuedSegments);
        RateFamily("kcptun_session_bottleneck_bandwidth_bytes_per_second", "The bbr rate controller's bottleneck bandwidth estimate (KCP bytes).", m => m.BottleneckBandwidth);
        RateFamily("kcptun_session_min_rtt_seconds", "The bbr rate controller's minimum RTT estimate.", m => m.MinRtt / 1000.0);
        RateFamily("kcptun_session_pacing_rate_bytes_per_second", "The rate the bbr pacer sends at now (KCP bytes).", m => m.PacingRate);
        RateFamily("kcptun_session_inflight_cap_bytes", "Most KCP bytes the bbr rate controller lets be in flight.", m => m.InflightCap);
        RateFamily("kcptun_session_inflight_bytes", "KCP bytes transmitted and not yet acknowledged (bbr).", m => m.BytesInFlight);
        RateFamily("kcptun_session_rate_phase", "The bbr rate controller's phase: 0 startup, 1 drain, 2 probe bandwidth, 3 probe RTT.", m => (int)m.Phase);
        RateFamily("kcptun_session_application_limited_flushes_total", "Paced flushes with nothing left to send while the controller and windows allowed more (bbr).", m => m.ApplicationLimitedFlushes, "counter");
        RateFamily("kcptun_session_window_limited_flushes_total", "Paced flushes in which snd_wnd or the peer's receive window held data back (bbr).", m => m.WindowLimitedFlushes, "counter");
        RateFamily("kcptun_session_retransmitted_ratio", "Retransmissions per transmission, smoothed over round trips (bbr).", m => m.LossRate);
        RateFamily("kcptun_session_startup_exit", "What ended the bbr rate controller's last startup: 0 not yet, 1 bandwidth plateau, 2 standing queue, 3 loss burst.", m => (int)m.StartupExit);
        RateFamily("kcptun_session_startup_restarts_total", "Times a bandwidth probe found the pipe not full and startup ran again (bbr).", m => m.StartupRestarts, "counter");
        Family("kcptun_session_fec_data_shards", "gauge", "Data shards per FEC group the session sends (0: FEC off).", r => r.Kcp.FecDataShards);
        Family("kcptun_session_fec_parity_shards", "gauge", "Parity datagrams per FEC group the session sends now (adaptive FEC: 0 up to the configured parity).", r => r.Kcp.FecParityShards);
        Family("kcptun_session_sent_bytes_total", "counter", "Bytes the session sent; rate() of it is the send rate.", r => r.Sent);
        Family("kcptun_session_received_bytes_total", "counter", "Bytes the session delivered.", r => r.Received);

        // The rate controller's gauges: only sessions under --cc bbr have a sample.
        void RateFamily(string name, string help, Func<RateControlMetrics, double?> value, string type = "gauge") =>
            Family(name, type, help, r => r.Kcp.Rate is { } rate ? value(rate) : null);

        // One sample per session; a null value leaves that session out.
        void Family(string name, string type, string help, Func<(string Conversation, string Local, string Remote, SessionMetrics Kcp, long Sent, long Received), double?> value)
        {
            writer.Family(name, type, help);
            foreach (var row in rows)
            {
                if (value(row) is { } sample)
                {
                    writer.Sample(name, sample, [("conv", row.Conversation), ("local", row.Local), ("remote", row.Remote)]);
                }
            }
        }
    }
}
