#!/usr/bin/env python3
"""N concurrent echo streams (default 2,000 x 64 KiB) through a kcptun client + server on loopback; samples VmRSS of
both every 50 ms and prints idle, peak (VmHWM) and after-close RSS, threads and fds, as one JSON line.

usage: streams.py SERVER_BIN CLIENT_BIN [--streams N] [--size BYTES] [--rounds R] [--label L] [EXTRA KCPTUN ARGS, e.g. --cc kcp]
"""
import argparse, asyncio, json, os, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tunnelprocs import TunnelPair


async def one_stream(port, size, results):
    payload = os.urandom(size)
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 60)
        writer.write(payload)
        got = await asyncio.wait_for(reader.readexactly(size), 120)
        writer.close()
        results.append(got == payload)
    except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError):
        results.append(False)


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("server"), parser.add_argument("client")
    parser.add_argument("--streams", type=int, default=2000)
    parser.add_argument("--size", type=int, default=65536)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--settle", type=float, default=10, help="seconds to wait after the streams closed")
    parser.add_argument("--label", default="")
    args, extra = parser.parse_known_args()
    extra = [a for a in extra if a != "--"]
    pair = TunnelPair(args.server, args.client, extra)
    await pair.start()
    try:
        await asyncio.sleep(1)
        idle_s, idle_c = pair.status()
        peak = [0.0, 0.0]
        most = {"server": {"Fds": 0, "Threads": 0}, "client": {"Fds": 0, "Threads": 0}}
        stop = asyncio.Event()

        async def sample():
            while not stop.is_set():
                s, c = pair.status()
                peak[0], peak[1] = max(peak[0], s["VmRSS"]), max(peak[1], c["VmRSS"])
                for name, st in (("server", s), ("client", c)):
                    for k in ("Fds", "Threads"):
                        most[name][k] = max(most[name][k], st[k])
                await asyncio.sleep(0.05)

        sampler = asyncio.create_task(sample())
        rounds = []
        for _ in range(args.rounds):
            results = []
            t0 = time.monotonic()
            await asyncio.gather(*(one_stream(pair.local_port, args.size, results) for _ in range(args.streams)))
            rounds.append({"seconds": round(time.monotonic() - t0, 2), "ok": sum(results)})
        await asyncio.sleep(args.settle)
        stop.set()
        await sampler
        after_s, after_c = pair.status()
        cpu_s, cpu_c = pair.cpu()
        report = {
            "label": args.label, "streams": args.streams, "size": args.size, "rounds": rounds,
            "server": {"idle": round(idle_s["VmRSS"], 1), "peak": round(after_s["VmHWM"], 1),
                       "after": round(after_s["VmRSS"], 1), "threads_max": most["server"]["Threads"], "threads_after": after_s["Threads"],
                       "fds_idle": idle_s["Fds"], "fds_max": most["server"]["Fds"], "fds_after": after_s["Fds"], "cpu_s": round(cpu_s, 2)},
            "client": {"idle": round(idle_c["VmRSS"], 1), "peak": round(after_c["VmHWM"], 1),
                       "after": round(after_c["VmRSS"], 1), "threads_max": most["client"]["Threads"], "threads_after": after_c["Threads"],
                       "fds_idle": idle_c["Fds"], "fds_max": most["client"]["Fds"], "fds_after": after_c["Fds"], "cpu_s": round(cpu_c, 2)},
        }
        print(json.dumps(report))
    finally:
        await pair.stop()


if __name__ == "__main__":
    asyncio.run(main())
