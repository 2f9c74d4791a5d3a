#!/usr/bin/env python3
"""rrsamples - tunbench's closed-loop request/response (tbload rr), keeping every sample.

  rrsamples.py TBLOAD_DIR --addr H:P [--seconds T] [--count N] [--req 64] [--resp 64] [--cc CC]

Speaks tbload's protocol with tbload's own helpers (imported from TBLOAD_DIR) and prints tbload rr's JSON plus
"samples_ms": [[start ms since the first request, round trip ms], ...], so a report can tell what the slowest
round trips have in common (when in the run they fell), not only the percentiles.
"""
import argparse
import importlib.util
import json
import os
import socket
import sys
import time


def load_tbload(folder):
    spec = importlib.util.spec_from_file_location("tbload", os.path.join(folder, "tbload.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("tbload_dir")
    p.add_argument("--addr", required=True)
    p.add_argument("--seconds", type=float, default=5)
    p.add_argument("--count", type=int, default=1000000)
    p.add_argument("--req", type=int, default=64)
    p.add_argument("--resp", type=int, default=64)
    p.add_argument("--cc", default="")
    a = p.parse_args()
    tb = load_tbload(a.tbload_dir)
    tb.CC = a.cc
    samples, starts, err = [], [], None
    t_start = time.monotonic_ns()
    request = tb.make_payload("random", a.req)
    try:
        s = tb.connect(a.addr, 10.0)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.settimeout(10.0)
        s.sendall(tb.hdr("E", 0, 0, a.req, a.resp))
        deadline = time.monotonic_ns() + int(a.seconds * 1e9)
        while len(samples) < a.count and time.monotonic_ns() < deadline:
            t = time.perf_counter_ns()
            s.sendall(request)
            if tb.recv_exact(s, a.resp) is None:
                err = "eof"
                break
            samples.append(time.perf_counter_ns() - t)
            starts.append(t)
        tb.set_linger0(s)
        s.close()
    except OSError as e:
        err = f"{type(e).__name__}: {e}"
    res = {"test": "rr", "req": a.req, "resp": a.resp, "ok": err is None and len(samples) > 0,
           "errors": [err] if err else [], "wall_s": round((time.monotonic_ns() - t_start) / 1e9, 3)}
    res.update(tb.lat_summary(samples))
    res["samples_ms"] = [[round((t - starts[0]) / 1e6, 1), round(x / 1e6, 1)] for t, x in zip(starts, samples)]
    print(json.dumps(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
