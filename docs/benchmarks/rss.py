#!/usr/bin/env python3
# usage: measure.py SERVER_CMD CLIENT_CMD [MB] [EXTRA ARGS...]; prints throughput and VmHWM of both processes.
import socket, subprocess, sys, threading, time, os, random
server_bin, client_bin = sys.argv[1], sys.argv[2]
mb = int(sys.argv[3]) if len(sys.argv) > 3 else 200
extra = sys.argv[4:]
def freeport(kind):
    s = socket.socket(socket.AF_INET, kind); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p
tport, kport, lport = freeport(socket.SOCK_STREAM), freeport(socket.SOCK_DGRAM), freeport(socket.SOCK_STREAM)
total = mb * 1024 * 1024
# target: sink that replies with 1 byte after all bytes arrived
ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); ls.bind(("127.0.0.1", tport)); ls.listen(4)
def sink():
    c, _ = ls.accept(); n = 0
    while n < total:
        d = c.recv(1 << 20)
        if not d: break
        n += len(d)
    c.sendall(b"k"); time.sleep(0.5); c.close()
threading.Thread(target=sink, daemon=True).start()
common = ["--key", "k", "--crypt", "aes", "--mode", "fast"] + extra
sv = subprocess.Popen([server_bin, "-l", f"127.0.0.1:{kport}", "-t", f"127.0.0.1:{tport}"] + common, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
cl = subprocess.Popen([client_bin, "-l", f"127.0.0.1:{lport}", "-r", f"127.0.0.1:{kport}"] + common, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
def hwm(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmHWM"): return int(line.split()[1]) // 1024
def rss(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS"): return int(line.split()[1]) // 1024
try:
    for _ in range(100):
        try:
            c = socket.create_connection(("127.0.0.1", lport), timeout=1); break
        except OSError: time.sleep(0.1)
    time.sleep(0.3)
    idle = (rss(sv.pid), rss(cl.pid))
    c.settimeout(120)
    buf = os.urandom(1 << 16) * 4  # 256 KiB random-ish (incompressible-ish)
    t0 = time.time(); sent = 0
    while sent < total:
        n = min(len(buf), total - sent); c.sendall(buf[:n]); sent += n
    r = c.recv(1); dt = time.time() - t0
    print(f"{os.path.basename(server_bin)}: {mb} MB in {dt:.2f}s = {mb/dt:.1f} MB/s; idle RSS server {idle[0]} client {idle[1]} MiB; "
          f"VmHWM server {hwm(sv.pid)} MiB client {hwm(cl.pid)} MiB; ok={r==b'k'}")
finally:
    sv.kill(); cl.kill(); sv.wait(); cl.wait()
