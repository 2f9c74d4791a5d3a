#!/usr/bin/env python3
"""A session flood from a peer that holds the key, against one kcptun server on loopback (issue 16): every new
conversation comes from a new UDP source port, as many sessions a second as --rate, for --seconds. Samples the
server's RSS, descriptors and threads every 0.5 s while flooding and for --after seconds after it (half-open sessions
are reaped after 30 s by both Go and ours), and checks that a client whose session was open before the flood keeps
echoing through it. Prints one JSON line.

Modes (what each flood session sends, once, then nothing):
  half     a KCP window probe: the server creates a session that never carries a byte (half-open)
  syn      one smux v1 SYN: the server dials the target for the stream (a target connection per session)
  streams  --streams-per-session SYNs: that many streams (and target connections) per session
With --keep each flood session (syn or streams) stays alive: its socket is kept and sends a smux NOP every 10 s, so
the server's keep-alive timeout never reaps it (Go holds every such session for as long as the flood lasts).

Datagrams are built here from the spec (docs/protocol): AES-256-CFB with the fixed IV over nonce + CRC32 + FEC data
header + one KCP segment, key PBKDF2-SHA1(key, "kcp-go", 4096). Both ends run --nocomp --smuxver 1 so raw smux
frames are what the server expects.

usage: flood.py SERVER_BIN CLIENT_BIN [--mode half|syn|streams] [--keep] [--rate 300] [--seconds 40] [--after 40]
                [--streams-per-session 8] [--metrics] [--label L]
  --metrics: the server is ours; scrape its --metrics page for kcptun_curr_estab and kcptun_refused_sessions_total.
"""
import argparse, asyncio, hashlib, json, os, random, socket, struct, sys, time, urllib.request, zlib
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tunnelprocs import TunnelPair, proc_status, free_port
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms
try:
    from cryptography.hazmat.decrepit.ciphers.modes import CFB
except ImportError:
    from cryptography.hazmat.primitives.ciphers.modes import CFB

KEY = "reliability"
IV = bytes([167, 115, 79, 156, 18, 172, 27, 1, 164, 21, 242, 193, 252, 120, 230, 107])
PUSH, WASK = 81, 83


class Sealer:
    def __init__(self, key):
        self.key = hashlib.pbkdf2_hmac("sha1", key.encode(), b"kcp-go", 4096, 32)
        self.seqid = 0

    def datagram(self, kcp):
        fec = struct.pack("<IHH", self.seqid, 0xF1, 2 + len(kcp)) + kcp
        self.seqid += 1
        body = fec
        plain = os.urandom(16) + struct.pack("<I", zlib.crc32(body) & 0xFFFFFFFF) + body
        enc = Cipher(algorithms.AES(self.key), CFB(IV)).encryptor()
        return enc.update(plain) + enc.finalize()


def segment(conv, cmd, sn, data=b""):
    return struct.pack("<IBBHIIII", conv, cmd, 0, 1024, int(time.monotonic() * 1000) & 0xFFFFFFFF, sn, 0, len(data)) + data


def smux_syn(sid):
    return struct.pack("<BBHI", 1, 0, 0, sid)


def smux_nop():
    return struct.pack("<BBHI", 1, 3, 0, 0)


def flood_datagrams(sealer, mode, per_session, conv):
    if mode == "half":
        return [sealer.datagram(segment(conv, WASK, 0))]
    count = 1 if mode == "syn" else per_session
    frames = b"".join(smux_syn(2 * i + 1) for i in range(count))
    out, sn = [], 0
    for i in range(0, len(frames), 1200):  # segments of at most 1,200 bytes (below every mss here)
        out.append(sealer.datagram(segment(conv, PUSH, sn, frames[i:i + 1200])))
        sn += 1
    return out


def scrape(port):
    values = {}
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as r:
            for line in r.read().decode().splitlines():
                if line and not line.startswith("#"):
                    name, _, value = line.rpartition(" ")
                    values[name] = float(value)
    except OSError:
        pass
    return values


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("server"), parser.add_argument("client")
    parser.add_argument("--mode", choices=["half", "syn", "streams"], default="half")
    parser.add_argument("--rate", type=float, default=300)
    parser.add_argument("--seconds", type=float, default=40)
    parser.add_argument("--after", type=float, default=40)
    parser.add_argument("--streams-per-session", type=int, default=8)
    parser.add_argument("--metrics", action="store_true")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--label", default="")
    args = parser.parse_args()
    metrics_port = free_port(socket.SOCK_STREAM) if args.metrics else None
    extra = ["--nocomp", "--smuxver", "1"]
    pair = TunnelPair(args.server, args.client, extra, server_extra=["--metrics", f"127.0.0.1:{metrics_port}"] if args.metrics else [])
    await pair.start()
    sealer, server = Sealer(KEY), ("127.0.0.1", pair.kcp_port)
    samples, peak = [], {"VmRSS": 0.0, "Fds": 0, "Threads": 0}
    idle = pair.status()[0]
    started = time.monotonic()
    sent = sessions = echo_ok = echo_failed = 0
    next_sample = next_echo = started
    echo_task = None
    kept = []
    try:
        while True:
            now = time.monotonic()
            flooding = now - started < args.seconds
            if not flooding and now - started >= args.seconds + args.after:
                break
            if flooding:
                due = int((now - started) * args.rate)
                while sessions < due:
                    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                    s.bind(("127.0.0.1", 0))
                    conv = random.getrandbits(32)
                    datagrams = flood_datagrams(sealer, args.mode, args.streams_per_session, conv)
                    for d in datagrams:
                        s.sendto(d, server)
                        sent += 1
                    if args.keep:
                        kept.append([s, conv, len(datagrams), now + 10])
                    else:
                        s.close()
                    sessions += 1
            if args.keep and flooding:
                for k in kept:
                    if now >= k[3]:
                        k[0].sendto(sealer.datagram(segment(k[1], PUSH, k[2], smux_nop())), server)
                        k[2], k[3], sent = k[2] + 1, now + 10, sent + 1
            if now >= next_sample:
                st = proc_status(pair.server.pid)
                for k in peak:
                    peak[k] = max(peak[k], st[k])
                row = {"t": round(now - started, 1), "rss": round(st["VmRSS"], 1), "fds": st["Fds"], "threads": st["Threads"]}
                if metrics_port:
                    m = scrape(metrics_port)
                    row["estab"] = m.get("kcptun_curr_estab")
                    row["refused"] = m.get("kcptun_refused_sessions_total")
                samples.append(row)
                next_sample = now + 0.5
            if echo_task is None and now >= next_echo:
                echo_task = asyncio.ensure_future(pair.echo_once(1024, timeout=10))
                next_echo = now + 2
            if echo_task is not None and echo_task.done():
                try:
                    ok = echo_task.result()
                except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError):
                    ok = False
                echo_ok, echo_failed = echo_ok + bool(ok), echo_failed + (not ok)
                echo_task = None
            await asyncio.sleep(0.005)
        end = proc_status(pair.server.pid)
        at_flood_end = max((r for r in samples if r["t"] <= args.seconds), key=lambda r: r["t"])
        print(json.dumps({
            "label": args.label, "mode": args.mode + ("+keep" if args.keep else ""), "rate": args.rate, "seconds": args.seconds,
            "flood_sessions": sessions, "datagrams": sent,
            "idle_rss": round(idle["VmRSS"], 1), "peak_rss": round(peak["VmRSS"], 1), "hwm": round(end["VmHWM"], 1),
            "rss_at_flood_end": at_flood_end["rss"], "end_rss": round(end["VmRSS"], 1),
            "peak_fds": peak["Fds"], "end_fds": end["Fds"], "peak_threads": peak["Threads"],
            "estab_at_flood_end": at_flood_end.get("estab"), "end_estab": samples[-1].get("estab"),
            "refused": samples[-1].get("refused"),
            "old_session_echoes_ok": echo_ok, "old_session_echoes_failed": echo_failed,
            "samples": samples if os.environ.get("FLOOD_SAMPLES") else None,
        }))
    finally:
        for k in kept:
            k[0].close()
        await pair.stop()


if __name__ == "__main__":
    asyncio.run(main())
