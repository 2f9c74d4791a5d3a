#!/usr/bin/env python3
"""Soak: a kcptun client + server on loopback under a steady, low mixed load for --minutes (default 30): short
connections (churn), a few long-lived streams echoing now and then, and a burst of concurrent streams every minute.
Every --interval seconds it samples RSS, file descriptors, threads and CPU of both processes into a CSV, and prints a
summary (first/last/max, the RSS slope over the second half, failures) as JSON at the end. Run it niced.

usage: soak.py SERVER_BIN CLIENT_BIN --csv OUT.csv [--minutes M] [--interval S] [--label L] [EXTRA KCPTUN ARGS, e.g. --cc kcp]
"""
import argparse, asyncio, csv, json, os, random, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tunnelprocs import TunnelPair


class Load:
    def __init__(self, pair):
        self.pair, self.ok, self.failed, self.bytes = pair, 0, 0, 0

    async def attempt(self, size):
        try:
            if await self.pair.echo_once(size, timeout=30):
                self.ok += 1
                self.bytes += size
                return
        except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError):
            pass
        self.failed += 1

    async def churn(self, per_second):
        while True:
            asyncio.ensure_future(self.attempt(random.choice((64, 1024, 4096, 16384))))
            await asyncio.sleep(1 / per_second)

    async def long_lived(self, index):
        while True:
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", self.pair.local_port)
                for _ in range(60):
                    size = random.choice((1024, 65536, 262144))
                    payload = os.urandom(size)
                    writer.write(payload)
                    got = await asyncio.wait_for(reader.readexactly(size), 60)
                    if got != payload:
                        self.failed += 1
                        break
                    self.ok += 1
                    self.bytes += size
                    await asyncio.sleep(random.uniform(1, 10))
                writer.close()
            except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError):
                self.failed += 1
                await asyncio.sleep(1)

    async def bursts(self, streams, every):
        while True:
            await asyncio.sleep(every)
            await asyncio.gather(*(self.attempt(65536) for _ in range(streams)))


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("server"), parser.add_argument("client")
    parser.add_argument("--csv", required=True)
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--interval", type=float, default=10)
    parser.add_argument("--churn", type=float, default=20, help="short connections per second")
    parser.add_argument("--long", type=int, default=8, help="long-lived streams")
    parser.add_argument("--burst", type=int, default=200, help="concurrent 64 KiB streams once a minute")
    parser.add_argument("--label", default="")
    args, extra = parser.parse_known_args()
    extra = [a for a in extra if a != "--"]
    pair = TunnelPair(args.server, args.client, extra)
    await pair.start()
    load = Load(pair)
    tasks = [asyncio.ensure_future(load.churn(args.churn)), asyncio.ensure_future(load.bursts(args.burst, 60))]
    tasks += [asyncio.ensure_future(load.long_lived(i)) for i in range(args.long)]
    rows = []
    start = time.monotonic()
    try:
        with open(args.csv, "w", newline="") as f:
            out = csv.writer(f)
            out.writerow(["seconds", "server_rss_mib", "server_fds", "server_threads", "server_cpu_s",
                          "client_rss_mib", "client_fds", "client_threads", "client_cpu_s", "ok", "failed", "mib_moved"])
            while time.monotonic() - start < args.minutes * 60:
                await asyncio.sleep(args.interval)
                if pair.server.poll() is not None or pair.client.poll() is not None:
                    raise RuntimeError("a tunnel process exited during the soak")
                (s, c), (cs, cc) = pair.status(), pair.cpu()
                row = [round(time.monotonic() - start), round(s["VmRSS"], 1), s["Fds"], s["Threads"], round(cs, 1),
                       round(c["VmRSS"], 1), c["Fds"], c["Threads"], round(cc, 1), load.ok, load.failed,
                       round(load.bytes / 2**20, 1)]
                rows.append(row)
                out.writerow(row)
                f.flush()
    finally:
        for t in tasks:
            t.cancel()
        peaks = pair.status()
        await pair.stop()

    def column(i):
        return [r[i] for r in rows]

    def slope(i):
        half = rows[len(rows) // 2:]
        if len(half) < 2:
            return 0.0
        xs, ys = [r[0] / 60 for r in half], [r[i] for r in half]
        mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
        den = sum((x - mx) ** 2 for x in xs)
        return round(sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / den, 3) if den else 0.0

    summary = {"label": args.label, "minutes": round((time.monotonic() - start) / 60, 1), "ok": load.ok,
               "failed": load.failed, "mib_moved": round(load.bytes / 2**20, 1)}
    for name, base, st in (("server", 1, peaks[0]), ("client", 5, peaks[1])):
        summary[name] = {"rss_first": column(base)[0], "rss_last": column(base)[-1], "rss_max": max(column(base)),
                         "rss_hwm": round(st["VmHWM"], 1), "rss_slope_mib_per_min_2nd_half": slope(base),
                         "fds_first": column(base + 1)[0], "fds_last": column(base + 1)[-1], "fds_max": max(column(base + 1)),
                         "threads_first": column(base + 2)[0], "threads_last": column(base + 2)[-1],
                         "threads_max": max(column(base + 2)), "cpu_s": column(base + 3)[-1]}
    print(json.dumps(summary))


if __name__ == "__main__":
    asyncio.run(main())
